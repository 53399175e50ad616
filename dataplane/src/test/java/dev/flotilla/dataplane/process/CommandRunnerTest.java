package dev.flotilla.dataplane.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.testkit.Poll;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one command runner: what a command leaves, and the three ways of leaving no exit code. */
@Timeout(30)
class CommandRunnerTest {

    @Test
    void keepsTheExitCodeAndEachStreamApart() throws Exception {
        CommandRunner.Result r = CommandRunner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), null,
                Duration.ofSeconds(5));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
    }

    @Test
    void runsInTheCLocale() throws Exception {
        assertThat(CommandRunner.run(List.of("sh", "-c", "echo $LC_ALL"), null, Duration.ofSeconds(5)).stdout())
                .isEqualTo("C\n");
    }

    @Test
    void aCommandPastItsDeadlineIsKilledWithItsChildren() {
        long start = System.nanoTime();
        // The shell prints its child's pid, then waits for it: the child outlives the deadline too.
        NotFinishedException e = catchThrowableOfType(() -> CommandRunner.run(
                List.of("sh", "-c", "sleep 30 & echo $! >&2; wait"), null, Duration.ofMillis(500)),
                NotFinishedException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(e.reason()).isEqualTo(NotFinishedException.Reason.TIMED_OUT);
        long child = Long.parseLong(e.stderr().strip());
        Poll.until(Duration.ofSeconds(5), () -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true),
                "the shell's child " + child + " to be killed");
    }

    @Test
    void aMissingProgramDidNotStart() {
        assertThatThrownBy(() -> CommandRunner.run(List.of("ft-dp-no-such-program"), null, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(NotFinishedException.class,
                        e -> assertThat(e.reason()).isEqualTo(NotFinishedException.Reason.NOT_STARTED))
                .hasMessageContaining("ft-dp-no-such-program");
    }
}
