package dev.flotilla.tests;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for a condition by polling it with a deadline: the tests' only way to wait for state. */
public final class Poll {
    /** Between attempts; most conditions run a CLI command (a JVM start), which paces them anyway. */
    private static final Duration INTERVAL = Duration.ofMillis(200);

    private Poll() {
    }

    /** Polls until the condition holds; fails with {@code what} once {@code timeout} has passed. */
    public static void until(Duration timeout, Supplier<Boolean> condition, String what) {
        until(timeout, condition, () -> what);
    }

    /** As {@link #until(Duration, Supplier, String)}, the failure message computed when it fails. */
    public static void until(Duration timeout, Supplier<Boolean> condition, Supplier<String> what) {
        until(timeout, INTERVAL, condition, what);
    }

    /**
     * As {@link #until(Duration, Supplier, Supplier)} with {@code interval} between attempts: short
     * for a cheap condition whose moment of change is measured.
     */
    public static void until(Duration timeout, Duration interval, Supplier<Boolean> condition, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + timeout.toSeconds() + "s waiting for: " + what.get());
            }
            pause(interval);
        }
    }

    private static void pause(Duration interval) {
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while polling", e);
        }
    }
}
