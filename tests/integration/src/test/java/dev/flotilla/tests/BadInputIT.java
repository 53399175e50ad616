package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Mistakes a user makes get a one-line message and a non-zero exit, and change nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BadInputIT {
    private TestNode node;
    private Process listener;
    /** `service ls` without REPLICAS (which moves while tasks start): what no mistake may change. */
    private List<String> services;

    @BeforeAll
    void createService() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
        node.ok("service", "create", "--name", "keep", "-d", "-p", "8080:80", "web");
        services = services();
    }

    @AfterEach
    void stopListener() {
        if (listener != null) {
            listener.destroyForcibly();
            listener = null;
        }
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    static Stream<Arguments> mistakes() {
        String notFound = "Error: service nosuch not found";
        return Stream.of(
                Arguments.of(List.of("service", "ps", "nosuch"), 1, notFound),
                Arguments.of(List.of("service", "inspect", "nosuch"), 1, notFound),
                Arguments.of(List.of("service", "scale", "nosuch=2"), 1, notFound),
                Arguments.of(List.of("service", "rm", "nosuch"), 1, notFound),
                Arguments.of(List.of("service", "create", "--name", "x", "-p", "80:abc", "web"), 125,
                        "invalid argument \"80:abc\" for \"-p, --publish\" flag"),
                Arguments.of(List.of("service", "create", "--name", "x", "-p", "99999:80", "web"), 125,
                        "invalid argument \"99999:80\""),
                Arguments.of(List.of("service", "create", "--name", "x", "-p", "80:80/sctp", "web"), 125,
                        "invalid argument \"80:80/sctp\" for \"-p, --publish\" flag"),
                Arguments.of(List.of("service", "create", "--name", "x", "--endpoint-mode", "x", "web"), 125,
                        "invalid endpoint mode \"x\": vip or dnsrr"),
                Arguments.of(List.of("service", "create", "--name", "x", "--restart-condition", "always", "web"), 125,
                        "invalid restart condition \"always\""),
                Arguments.of(List.of("service", "create", "--name", "x", "--replicas", "-1", "web"), 125,
                        "invalid argument \"-1\" for \"--replicas\" flag"),
                Arguments.of(List.of("service", "create", "--name", "bad name!", "web"), 1,
                        "invalid name \"bad name!\""),
                Arguments.of(List.of("service", "create", "--name", "x", "--network", "name=nosuch,alias=a", "web"), 1,
                        "network nosuch not found"),
                Arguments.of(List.of("service", "create", "--name", "x", "--network", "alias=a", "web"), 125,
                        "invalid argument \"alias=a\" for \"--network\" flag: network name/id is not specified"),
                Arguments.of(List.of("service", "create", "--name", "x", "--network-alias", "a", "web"), 125,
                        "--network-alias needs a --network"));
    }

    static Stream<Arguments> daemonMistakes() {
        return Stream.of(
                Arguments.of(List.of("--dns", "resolver.example"), "invalid argument \"resolver.example\" for \"--dns\" flag"),
                Arguments.of(List.of("--dns", "192.0.2.1", "--dns", "192.0.2.2", "--dns", "192.0.2.3", "--dns", "192.0.2.4"),
                        "--dns takes at most 3 servers"),
                Arguments.of(List.of("--dns-ttl", "-1"), "invalid argument \"-1\" for \"--dns-ttl\" flag"),
                Arguments.of(List.of("--lb-idle-timeout", "soon"), "invalid argument \"soon\" for \"--lb-idle-timeout\" flag"));
    }

    @ParameterizedTest(name = "flotilla daemon {0}")
    @MethodSource("daemonMistakes")
    void daemonRefusesBadFlagsBeforeStarting(List<String> flags, String message) {
        Path root = node.dir().resolve("refused-daemon");
        List<String> argv = new ArrayList<>(List.of(Processes.flotilla().toString(), "daemon",
                "--data-root", root.toString(), "--host", "unix://" + root.resolve("flotilla.sock")));
        argv.addAll(flags);
        Cli cli = Processes.run(Duration.ofSeconds(60), argv);
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(125);
        assertThat(cli.stderr().strip()).as(cli.toString()).contains(message).doesNotContain("\n");
        assertThat(root).as("nothing made for a daemon that never started").doesNotExist();
    }

    @ParameterizedTest(name = "flotilla {0}")
    @MethodSource("mistakes")
    void mistakeIsRefusedWithOneLineAndChangesNothing(List<String> args, int exitCode, String message) {
        Cli cli = node.cli(args.toArray(String[]::new));
        assertThat(cli.exitCode()).as(node.context(cli)).isEqualTo(exitCode);
        assertThat(cli.stderr().strip()).as(node.context(cli)).contains(message).doesNotContain("\n");
        assertThat(cli.stdout()).as(node.context(cli)).isBlank();
        assertThat(services()).as("service ls after the mistake").isEqualTo(services);
    }

    @Test
    void portTakenByAnotherProcessOnTheNodeIsRefused() {
        try {
            listener = new ProcessBuilder("nsenter", "--net=/run/netns/" + node.name(), "busybox", "nc", "-l", "-p", "9090")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Poll.until(Duration.ofSeconds(30), TestNode.POLL_INTERVAL, () -> Processes.ok(Duration.ofSeconds(30), "ip", "netns",
                "exec", node.name(), "ss", "-Htln", "sport = :9090").lines().size() == 1, () -> "nc to listen on 9090 in the node");

        Cli cli = node.cli("service", "create", "--name", "taken", "-p", "9090:80", "web");
        assertThat(cli.exitCode()).as(node.context(cli)).isNotZero();
        assertThat(cli.stderr().strip()).as(node.context(cli))
                .contains("port 9090/tcp is already in use on this node").doesNotContain("\n");
        assertThat(services()).as("service ls after the refused create").isEqualTo(services);
    }

    private List<String> services() {
        Cli ls = node.ok("service", "ls");
        return ls.table().stream()
                .map(r -> String.join(" | ", r.get("ID"), r.get("NAME"), r.get("MODE"), r.get("IMAGE"), r.get("PORTS")))
                .toList();
    }
}
