package dev.flotilla.cli;

import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.common.Durations;
import dev.flotilla.common.ServiceDefaults;
import picocli.CommandLine.Option;

/**
 * {@code --update-*} and {@code --rollback-*}, shared by {@code service create} (where an unset
 * flag means Docker's default) and {@code service update} (where only the flags given change the
 * service). Values are checked on the manager, with swarmkit's words.
 */
final class UpdateFlags {

    @Option(names = "--update-parallelism", paramLabel = "N", description = "Maximum number of tasks updated simultaneously (0 to update all at once) (default 1)")
    String updateParallelism;

    @Option(names = "--update-delay", paramLabel = "DURATION", description = "Delay between updates (ns|us|ms|s|m|h) (default 0s)")
    String updateDelay;

    @Option(names = "--update-failure-action", paramLabel = "ACTION", description = "Action on update failure (\"pause\", \"continue\", \"rollback\") (default \"pause\")")
    String updateFailureAction;

    @Option(names = "--update-monitor", paramLabel = "DURATION", description = "Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default 5s)")
    String updateMonitor;

    @Option(names = "--update-max-failure-ratio", paramLabel = "RATIO", description = "Failure rate to tolerate during an update (default 0)")
    String updateMaxFailureRatio;

    @Option(names = "--update-order", paramLabel = "ORDER", description = "Update order (\"start-first\", \"stop-first\") (default \"stop-first\")")
    String updateOrder;

    @Option(names = "--update-progress-deadline", paramLabel = "DURATION", description = "A new task not running within the monitor period plus this fails the update; 0 waits forever (ns|us|ms|s|m|h) (default 10m0s)")
    String updateProgressDeadline;

    @Option(names = "--rollback-parallelism", paramLabel = "N", description = "Maximum number of tasks rolled back simultaneously (0 to roll back all at once) (default 1)")
    String rollbackParallelism;

    @Option(names = "--rollback-delay", paramLabel = "DURATION", description = "Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s)")
    String rollbackDelay;

    @Option(names = "--rollback-failure-action", paramLabel = "ACTION", description = "Action on rollback failure (\"pause\", \"continue\") (default \"pause\")")
    String rollbackFailureAction;

    @Option(names = "--rollback-monitor", paramLabel = "DURATION", description = "Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h) (default 5s)")
    String rollbackMonitor;

    @Option(names = "--rollback-max-failure-ratio", paramLabel = "RATIO", description = "Failure rate to tolerate during a rollback (default 0)")
    String rollbackMaxFailureRatio;

    @Option(names = "--rollback-order", paramLabel = "ORDER", description = "Rollback order (\"start-first\", \"stop-first\") (default \"stop-first\")")
    String rollbackOrder;

    /** Whether any {@code --update-*} or {@code --rollback-*} flag was given (a job takes none). */
    boolean any() {
        return java.util.stream.Stream.of(updateParallelism, updateDelay, updateFailureAction, updateMonitor,
                updateMaxFailureRatio, updateOrder, updateProgressDeadline, rollbackParallelism, rollbackDelay,
                rollbackFailureAction, rollbackMonitor, rollbackMaxFailureRatio, rollbackOrder).anyMatch(v -> v != null);
    }

    /** {@code base} with the {@code --update-*} flags given applied. */
    UpdateConfig update(UpdateConfig base) {
        UpdateConfig c = apply(base, "update", updateParallelism, updateDelay, updateFailureAction, updateMonitor,
                updateMaxFailureRatio, updateOrder);
        if (updateProgressDeadline != null) {
            c = c.toBuilder().setProgressDeadlineMs(
                    Durations.parse(updateProgressDeadline, "--update-progress-deadline").toMillis()).build();
        }
        return c;
    }

    /** {@code base} with the {@code --rollback-*} flags given applied. */
    UpdateConfig rollback(UpdateConfig base) {
        return apply(base, "rollback", rollbackParallelism, rollbackDelay, rollbackFailureAction, rollbackMonitor,
                rollbackMaxFailureRatio, rollbackOrder);
    }

    /** Docker's defaults, as {@code service create} shows them in its help, and the progress deadline. */
    static UpdateConfig defaults() {
        return UpdateConfig.newBuilder().setParallelism(ServiceDefaults.PARALLELISM).setMonitorMs(ServiceDefaults.MONITOR_MS)
                .setFailureAction(UpdateConfig.FailureAction.PAUSE).setOrder(UpdateConfig.Order.STOP_FIRST)
                .setProgressDeadlineMs(ServiceDefaults.PROGRESS_DEADLINE_MS).build();
    }

    private static UpdateConfig apply(UpdateConfig base, String kind, String parallelism, String delay,
            String failureAction, String monitor, String ratio, String order) {
        UpdateConfig.Builder b = base.toBuilder();
        if (parallelism != null) {
            b.setParallelism(Flags.unsigned(parallelism, "--" + kind + "-parallelism"));
        }
        if (delay != null) {
            b.setDelayMs(Durations.parse(delay, "--" + kind + "-delay").toMillis());
        }
        if (monitor != null) {
            b.setMonitorMs(Durations.parse(monitor, "--" + kind + "-monitor").toMillis());
        }
        if (ratio != null) {
            try {
                b.setMaxFailureRatio(Float.parseFloat(ratio));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid argument \"" + ratio + "\" for \"--" + kind
                        + "-max-failure-ratio\" flag: strconv.ParseFloat: parsing \"" + ratio + "\": invalid syntax");
            }
        }
        if (failureAction != null) {
            UpdateConfig.FailureAction action = DockerWords.parse(UpdateConfig.FailureAction.class, failureAction)
                    .filter(a -> kind.equals("update") || a != UpdateConfig.FailureAction.ROLLBACK)
                    .orElseThrow(() -> new IllegalArgumentException("unrecognized " + kind + " failure action " + failureAction));
            b.setFailureAction(action);
        }
        if (order != null) {
            b.setOrder(DockerWords.parse(UpdateConfig.Order.class, order)
                    .orElseThrow(() -> new IllegalArgumentException("unrecognized " + kind + " order " + order)));
        }
        return b.build();
    }
}
