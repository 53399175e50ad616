package dev.flotilla.executor;

/**
 * What a task's cgroup allows it, as Docker sets a service's {@code --limit-*} flags on its
 * containers. 0 is unlimited.
 *
 * @param nanoCpus billionths of a CPU; the CFS quota per 100 ms period
 * @param memoryBytes the memory limit; memory plus swap may be twice that, Docker's default
 * @param pids the most processes (and threads) at once
 */
public record ResourceLimits(long nanoCpus, long memoryBytes, long pids) {

    public static final ResourceLimits NONE = new ResourceLimits(0, 0, 0);

    /** Docker's (and the kernel's) CFS period: 100 ms. */
    static final long CPU_PERIOD_US = 100_000;

    public ResourceLimits {
        if (nanoCpus < 0 || memoryBytes < 0 || pids < 0) {
            throw new IllegalArgumentException("resource limits cannot be negative");
        }
    }

    /** The CFS quota in microseconds per {@link #CPU_PERIOD_US}, as Docker derives it from NanoCPUs. */
    long cpuQuotaUs() {
        return nanoCpus * CPU_PERIOD_US / 1_000_000_000L;
    }
}
