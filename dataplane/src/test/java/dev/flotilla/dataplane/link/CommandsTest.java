package dev.flotilla.dataplane.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The command runner and argument checks: no privileges needed. */
@Timeout(30)
class CommandsTest {

    private final NetnsExec here = NetnsExec.in(null);

    @Test
    void capturesExitCodeAndBothStreams() {
        ExecResult result = here.run("sh", "-c", "echo out; echo err >&2; exit 3");
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
        assertThat(result.isSuccess()).isFalse();
    }

    @Test
    void failureMessageHasTheCommandAndStderr() {
        assertThatThrownBy(() -> here.run("sh", "-c", "echo 'RTNETLINK answers: File exists' >&2; exit 2").checked())
                .isInstanceOfSatisfying(LinkException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(2);
                    assertThat(e.command()).startsWith("sh", "-c");
                })
                .hasMessageContaining("`sh -c ")
                .hasMessageContaining("exited with 2")
                .hasMessageContaining("RTNETLINK answers: File exists");
    }

    @Test
    void feedsStdin() {
        assertThat(here.run(List.of("cat"), "table inet t {}\n", Duration.ofSeconds(5)).checked().stdout())
                .isEqualTo("table inet t {}\n");
    }

    @Test
    void killsACommandThatOutlivesItsDeadline() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> here.run(List.of("sleep", "30"), null, Duration.ofMillis(300)))
                .isInstanceOfSatisfying(LinkException.class,
                        e -> assertThat(e.exitCode()).isEqualTo(LinkException.NO_EXIT_CODE))
                .hasMessageContaining("did not finish within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aMissingProgramIsALinkException() {
        assertThatThrownBy(() -> here.run("ft-dp-no-such-program"))
                .isInstanceOf(LinkException.class).hasMessageContaining("could not run");
    }

    @Test
    void namesAreCheckedBeforeAnythingRuns() {
        LinkConfig links = LinkConfig.in(null);
        assertThatThrownBy(() -> links.addBridge("a-very-long-bridge"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 15");
        assertThatThrownBy(() -> links.addVethPair("veth0", "eth0:1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> links.setMtu("eth0", 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> links.addVethPair("veth0", 1450, "br0", "eth0:1", "ns", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> links.addVethPair("veth0", 1450, "br0", "eth0", "../ns", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> links.addVethPair("veth0", 67, "br0", "eth0", "ns", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 68..65535");
        assertThatThrownBy(() -> links.batch().setUp("lo").setUp("eth0 up"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkConfig.in("../x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Netns.add("-n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sysctl.in(null).set("net.ipv4.ip_forward=1 x", "1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Nftables.in(null).deleteTable("inet6", "t")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Nftables.in(null).deleteTable("inet", "t; flush ruleset"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNamespaceThatWasNeverCreatedDoesNotExist() {
        assertThat(Netns.exists("ft-dp-never-made")).isFalse();
        assertThat(Netns.list()).doesNotContain("ft-dp-never-made");
    }
}
