package dev.flotilla.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition by polling it with a deadline: the tests' only way to wait for state, never a fixed sleep. */
public final class Poll {

    /** Between attempts of a cheap condition (a counter, a set, a link's presence). */
    public static final Duration INTERVAL = Duration.ofMillis(10);

    private Poll() {
    }

    /** Polls until the condition holds; fails with {@code what} once {@code timeout} has passed. */
    public static void until(Duration timeout, BooleanSupplier condition, String what) {
        until(timeout, INTERVAL, condition, () -> what);
    }

    /** As {@link #until(Duration, BooleanSupplier, String)}, the failure message computed when it fails. */
    public static void until(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        until(timeout, INTERVAL, condition, what);
    }

    /**
     * As {@link #until(Duration, BooleanSupplier, Supplier)} with {@code interval} between attempts: longer
     * for a condition that is costly to check (one that starts a process), shorter for one whose moment of
     * change is measured.
     *
     * @throws AssertionError {@code Timed out after 60s waiting for: <what>} once the deadline passed
     */
    public static void until(Duration timeout, Duration interval, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + seconds(timeout) + " waiting for: " + what.get());
            }
            LockSupport.parkNanos(interval.toNanos());
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + what.get());
            }
        }
    }

    /** {@code 60s}, or {@code 500ms} for a timeout under a second or not a whole number of seconds. */
    private static String seconds(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + "s" : timeout.toMillis() + "ms";
    }
}
