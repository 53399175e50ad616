package dev.flotilla.executor;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline, waking early when an event (a process exit) fires. */
final class Poll {

    /** Between checks of a condition no event announces (a file appearing, runc's view of a container). */
    static final Duration INTERVAL = Duration.ofMillis(20);

    private Poll() {
    }

    /**
     * Checks {@code done} until it holds or {@code timeout} passes; waits on {@code wakeUp} between checks.
     *
     * @return whether {@code done} held in time
     */
    static boolean until(BooleanSupplier done, Duration timeout, CompletableFuture<?> wakeUp) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                wakeUp.get(Math.min(left, INTERVAL.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // Check again.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerRuntimeException("interrupted while waiting for a container", e);
            }
        }
        return true;
    }
}
