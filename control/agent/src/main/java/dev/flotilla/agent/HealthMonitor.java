package dev.flotilla.agent;

import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.executor.Controller;
import dev.flotilla.executor.ImageConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Docker's health check of one running task, on a thread of its own: every interval it runs the
 * check in the container with its timeout. The first success makes the task healthy; failures in
 * the start period do not count; {@code retries} failures in a row after it make it unhealthy, and
 * the monitor ends there. {@link #stop} ends it too (the container ended or is being stopped).
 */
final class HealthMonitor implements Runnable {

    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    static final int DEFAULT_RETRIES = 3;

    /** What the task's runner does when the check's verdict changes. */
    interface Listener {
        void healthy();

        void unhealthy();
    }

    private final List<String> argv;
    private final Duration interval;
    private final Duration timeout;
    private final int retries;
    private final Duration startPeriod;
    private final Controller container;
    private final Listener listener;
    private volatile boolean stopped;
    private volatile Thread thread;

    HealthMonitor(HealthConfig config, Controller container, Listener listener) {
        this.argv = argv(config);
        this.interval = config.getIntervalMs() > 0 ? Duration.ofMillis(config.getIntervalMs()) : DEFAULT_INTERVAL;
        this.timeout = config.getTimeoutMs() > 0 ? Duration.ofMillis(config.getTimeoutMs()) : DEFAULT_TIMEOUT;
        this.retries = config.getRetries() > 0 ? config.getRetries() : DEFAULT_RETRIES;
        this.startPeriod = Duration.ofMillis(config.getStartPeriodMs());
        this.container = container;
        this.listener = listener;
    }

    /**
     * The check a task runs: its service's, each field it leaves unset (an empty test, a zero
     * duration or retries) taken from the image's HEALTHCHECK, as dockerd merges them; a service's
     * {@code --no-healthcheck} (test {@code NONE}) disables the image's.
     */
    static HealthConfig effective(HealthConfig service, java.util.Optional<ImageConfig.Healthcheck> image) {
        if (image.isEmpty()) {
            return service;
        }
        ImageConfig.Healthcheck i = image.get();
        HealthConfig.Builder b = service.toBuilder();
        if (b.getTestCount() == 0) {
            b.addAllTest(i.test());
        }
        if (b.getIntervalMs() == 0) {
            b.setIntervalMs(i.intervalMs());
        }
        if (b.getTimeoutMs() == 0) {
            b.setTimeoutMs(i.timeoutMs());
        }
        if (b.getStartPeriodMs() == 0) {
            b.setStartPeriodMs(i.startPeriodMs());
        }
        if (b.getRetries() == 0) {
            b.setRetries(i.retries());
        }
        return b.build();
    }

    /** Whether {@code config} asks for a check: a test that is neither empty nor {@code NONE}. */
    static boolean enabled(HealthConfig config) {
        return config.getTestCount() > 1 && !config.getTest(0).equals("NONE");
    }

    /** The command of a check: {@code CMD} runs its arguments, {@code CMD-SHELL} runs {@code /bin/sh -c}. */
    static List<String> argv(HealthConfig config) {
        List<String> test = config.getTestList();
        if (test.size() < 2) {
            throw new IllegalArgumentException("a health check needs CMD or CMD-SHELL and a command, got " + test);
        }
        return switch (test.get(0)) {
            case "CMD" -> List.copyOf(test.subList(1, test.size()));
            case "CMD-SHELL" -> List.of("/bin/sh", "-c", String.join(" ", test.subList(1, test.size())));
            default -> throw new IllegalArgumentException("unknown health check type " + test.get(0) + ": CMD, CMD-SHELL or NONE");
        };
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        long startedNanos = System.nanoTime();
        boolean healthy = false;
        int failures = 0;
        while (!stopped) {
            LockSupport.parkNanos(interval.toNanos());
            if (stopped) {
                return;
            }
            int exit = container.probe(argv, timeout);
            if (stopped) {
                return;
            }
            if (exit == 0) {
                failures = 0;
                if (!healthy) {
                    healthy = true;
                    listener.healthy();
                }
            } else if (!healthy && System.nanoTime() - startedNanos < startPeriod.toNanos()) {
                // Still starting: a failure in the start period does not count.
            } else if (++failures >= retries) {
                listener.unhealthy();
                return;
            }
        }
    }

    /** Ends the checks; a check that runs now finishes first, and its result is dropped. */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
