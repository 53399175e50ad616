package dev.flotilla.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PollTest {

    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger checks = new AtomicInteger();
        Poll.until(Duration.ofSeconds(5), () -> checks.incrementAndGet() == 3, "the third check");
        assertThat(checks).hasValue(3);
    }

    @Test
    void failsAfterTheDeadlineSayingWhatItWaitedFor() {
        assertThatThrownBy(() -> Poll.until(Duration.ofSeconds(1), () -> false, "the moon"))
                .isInstanceOf(AssertionError.class)
                .hasMessage("Timed out after 1s waiting for: the moon");
        assertThatThrownBy(() -> Poll.until(Duration.ofMillis(50), () -> false, "the moon"))
                .hasMessage("Timed out after 50ms waiting for: the moon");
    }

    @Test
    void theMessageIsComputedOnlyWhenItFails() {
        AtomicInteger computed = new AtomicInteger();
        Poll.until(Duration.ofSeconds(1), () -> true, () -> "asked " + computed.incrementAndGet());
        assertThat(computed).hasValue(0);
        assertThatThrownBy(() -> Poll.until(Duration.ofMillis(20), Duration.ofMillis(5), () -> false,
                () -> "asked " + computed.incrementAndGet())).hasMessageEndingWith("asked 1");
    }
}
