package dev.flotilla.cli;

import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.common.Durations;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --health-*} and {@code --no-healthcheck}, shared by {@code service create} and
 * {@code service update}: only the flags given change the check. Durations under 1 ms are refused
 * here, as Docker's CLI does.
 */
final class HealthFlags {

    @Option(names = "--health-cmd", paramLabel = "COMMAND", description = "Command to run to check health")
    String cmd;

    @Option(names = "--health-interval", paramLabel = "DURATION", description = "Time between running the check (ms|s|m|h) (default 30s)")
    String interval;

    @Option(names = "--health-timeout", paramLabel = "DURATION", description = "Maximum time to allow one check to run (ms|s|m|h) (default 30s)")
    String timeout;

    @Option(names = "--health-retries", paramLabel = "N", description = "Consecutive failures needed to report unhealthy (default 3)")
    String retries;

    @Option(names = "--health-start-period", paramLabel = "DURATION", description = "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h) (default 0s)")
    String startPeriod;

    @Option(names = "--no-healthcheck", description = "Disable any container-specified HEALTHCHECK")
    boolean none;

    /** {@code base} with the flags given applied. */
    HealthConfig apply(HealthConfig base) {
        boolean any = cmd != null || interval != null || timeout != null || retries != null || startPeriod != null;
        if (none) {
            if (any) {
                throw new IllegalArgumentException("--no-healthcheck conflicts with --health-* options");
            }
            return HealthConfig.newBuilder().addTest("NONE").build();
        }
        HealthConfig.Builder b = base.toBuilder();
        if (cmd != null) {
            b.clearTest().addTest("CMD-SHELL").addTest(cmd);
        }
        if (interval != null) {
            b.setIntervalMs(atLeastOneMs(interval, "--health-interval", "Interval"));
        }
        if (timeout != null) {
            b.setTimeoutMs(atLeastOneMs(timeout, "--health-timeout", "Timeout"));
        }
        if (startPeriod != null) {
            b.setStartPeriodMs(atLeastOneMs(startPeriod, "--health-start-period", "StartPeriod"));
        }
        if (retries != null) {
            b.setRetries((int) Math.min(Integer.MAX_VALUE, Flags.unsigned(retries, "--health-retries")));
        }
        return b.build();
    }

    private static long atLeastOneMs(String text, String flag, String field) {
        Duration d = Durations.parse(text, flag);
        if (!d.isZero() && d.compareTo(Duration.ofMillis(1)) < 0 || d.isNegative()) {
            throw new IllegalArgumentException(field + " in Healthcheck cannot be less than 1ms");
        }
        return d.toMillis();
    }
}
