package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Go's duration syntax, as Docker's flags take it. */
class DurationsTest {

    @Test
    void sequencesOfUnitsAddUp() {
        assertThat(Durations.parse("1m30s", "--update-delay")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1.5s", "--update-delay")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("250us", "--x")).isEqualTo(Duration.ofNanos(250_000));
    }

    @Test
    void aSignAndAPlainZeroAreGo() {
        assertThat(Durations.parse("-2s", "--update-delay")).isEqualTo(Duration.ofSeconds(-2));
        assertThat(Durations.parse("+2s", "--update-delay")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("0", "--update-delay")).isEqualTo(Duration.ZERO);
    }

    @Test
    void anythingElseIsRefusedInGosWords() {
        for (String bad : new String[] {"", "-", "5", "5x", "s", "1s 2s", "--1s"}) {
            assertThatThrownBy(() -> Durations.parse(bad, "--update-delay"))
                    .as(bad)
                    .hasMessage("invalid argument \"" + bad + "\" for \"--update-delay\" flag: time: invalid duration \"" + bad + "\"");
        }
    }
}
