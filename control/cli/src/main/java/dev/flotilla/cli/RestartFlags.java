package dev.flotilla.cli;

import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.common.Durations;
import dev.flotilla.common.ServiceDefaults;
import picocli.CommandLine.Option;

/**
 * {@code --restart-*}, shared by {@code service create} (over Docker's defaults) and
 * {@code service update} (over the service's policy): only the flags given change it.
 */
final class RestartFlags {

    @Option(names = "--restart-condition", paramLabel = "CONDITION", description = "Restart when condition is met (\"none\", \"on-failure\", \"any\") (default \"any\")")
    String condition;

    @Option(names = "--restart-delay", paramLabel = "DURATION", description = "Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)")
    String delay;

    @Option(names = "--restart-max-attempts", paramLabel = "N", description = "Maximum number of restarts before giving up (default 0: no limit)")
    String maxAttempts;

    @Option(names = "--restart-window", paramLabel = "DURATION", description = "Window used to evaluate the restart policy (ns|us|ms|s|m|h) (default 0: all restarts count)")
    String window;

    @Option(names = "--restart-max-delay", paramLabel = "DURATION", description = "Double the delay after each consecutive failure of a slot, up to this (ns|us|ms|s|m|h) (default: the delay, which keeps it fixed)")
    String maxDelay;

    /** Docker's policy when none is given: restart on any end, after 5 s. */
    static RestartPolicy defaults() {
        return RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ANY)
                .setDelayMs(ServiceDefaults.RESTART_DELAY_MS).build();
    }

    /** {@code base} with the flags given applied. */
    RestartPolicy apply(RestartPolicy base) {
        RestartPolicy.Builder r = base.toBuilder();
        if (condition != null) {
            r.setCondition(DockerWords.parse(RestartPolicy.Condition.class, condition).orElseThrow(() ->
                    new IllegalArgumentException("invalid restart condition \"" + condition + "\"")));
        }
        if (delay != null) {
            r.setDelayMs(Durations.parse(delay, "--restart-delay").toMillis());
        }
        if (maxAttempts != null) {
            r.setMaxAttempts(Flags.unsigned(maxAttempts, "--restart-max-attempts"));
        }
        if (window != null) {
            r.setWindowMs(Durations.parse(window, "--restart-window").toMillis());
        }
        if (maxDelay != null) {
            r.setMaxDelayMs(Durations.parse(maxDelay, "--restart-max-delay").toMillis());
        }
        return r.build();
    }
}
