package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.UpdateConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What `service update` reads from its flags and prints back, in Docker's and Go's words. */
class UpdateWordsTest {

    @Test
    void durationsPrintAsGoPrintsThem() {
        assertThat(Human.goDuration(0)).isEqualTo("0s");
        assertThat(Human.goDuration(500)).isEqualTo("500ms");
        assertThat(Human.goDuration(5_000)).isEqualTo("5s");
        assertThat(Human.goDuration(1_500)).isEqualTo("1.5s");
        assertThat(Human.goDuration(90_000)).isEqualTo("1m30s");
        assertThat(Human.goDuration(600_000)).isEqualTo("10m0s");
        assertThat(Human.goDuration(3_600_000)).isEqualTo("1h0m0s");
        assertThat(Human.ratio(0f)).isEqualTo("0");
        assertThat(Human.ratio(0.1f)).isEqualTo("0.1");
        assertThat(Human.ratio(1f)).isEqualTo("1");
    }

    @Test
    void argsSplitAsAShellWould() {
        assertThat(ShellWords.split("sh -c 'echo a  b' \"x y\" z\\ w")).containsExactly("sh", "-c", "echo a  b", "x y", "z w");
        assertThat(ShellWords.split("  ")).isEmpty();
        assertThatThrownBy(() -> ShellWords.split("sh -c 'oops")).hasMessageContaining("EOF found when expecting closing quote");
    }

    private static <T> T parse(T flags, String... args) {
        new CommandLine(flags).parseArgs(args);
        return flags;
    }

    @Test
    void onlyTheUpdateFlagsGivenChangeTheConfig() {
        UpdateConfig base = UpdateFlags.defaults();

        UpdateConfig c = parse(new UpdateFlags(), "--update-parallelism", "0", "--update-delay", "10s",
                "--update-order", "start-first", "--update-failure-action", "rollback").update(base);

        assertThat(c.getParallelism()).isZero();
        assertThat(c.getDelayMs()).isEqualTo(10_000);
        assertThat(c.getOrder()).isEqualTo(UpdateConfig.Order.START_FIRST);
        assertThat(c.getFailureAction()).isEqualTo(UpdateConfig.FailureAction.ROLLBACK);
        assertThat(c.getMonitorMs()).as("untouched").isEqualTo(5_000);
        assertThat(parse(new UpdateFlags()).rollback(base)).isEqualTo(base);
    }

    @Test
    void badUpdateFlagsAreRefusedInDockersWords() {
        UpdateConfig base = UpdateFlags.defaults();
        assertThatThrownBy(() -> parse(new UpdateFlags(), "--update-failure-action", "explode").update(base))
                .hasMessage("unrecognized update failure action explode");
        assertThatThrownBy(() -> parse(new UpdateFlags(), "--rollback-failure-action", "rollback").rollback(base))
                .hasMessage("unrecognized rollback failure action rollback");
        assertThatThrownBy(() -> parse(new UpdateFlags(), "--update-parallelism", "-1").update(base))
                .hasMessage("invalid argument \"-1\" for \"--update-parallelism\" flag: strconv.ParseUint: parsing \"-1\": invalid syntax");
        assertThatThrownBy(() -> parse(new UpdateFlags(), "--update-max-failure-ratio", "half").update(base))
                .hasMessageContaining("strconv.ParseFloat: parsing \"half\": invalid syntax");
    }

    @Test
    void restartFlagsApplyOverThePolicy() {
        RestartPolicy p = parse(new RestartFlags(), "--restart-max-attempts", "3", "--restart-window", "1m",
                "--restart-max-delay", "40s").apply(RestartFlags.defaults());

        assertThat(p.getCondition()).isEqualTo(RestartPolicy.Condition.ANY);
        assertThat(p.getDelayMs()).isEqualTo(5_000);
        assertThat(p.getMaxAttempts()).isEqualTo(3);
        assertThat(p.getWindowMs()).isEqualTo(60_000);
        assertThat(p.getMaxDelayMs()).isEqualTo(40_000);
        assertThatThrownBy(() -> parse(new RestartFlags(), "--restart-condition", "sometimes").apply(p))
                .hasMessage("invalid restart condition \"sometimes\"");
    }
}
