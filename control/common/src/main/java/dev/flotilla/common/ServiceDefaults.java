package dev.flotilla.common;

/**
 * swarmkit's defaults for a service spec (api/defaults/service.go), which the CLI shows in its
 * help and the manager fills in when a spec leaves them out, and Flotilla's progress deadline.
 */
public final class ServiceDefaults {

    /** Delay before a task's replacement starts. */
    public static final long RESTART_DELAY_MS = 5_000;
    /** Slots an update or rollback replaces at once. */
    public static final long PARALLELISM = 1;
    /** How long a new task is watched for failure after it runs. */
    public static final long MONITOR_MS = 5_000;
    /** How long a new task may take to run before it fails the update: Kubernetes' 600 s. */
    public static final long PROGRESS_DEADLINE_MS = 600_000;

    private ServiceDefaults() {
    }
}
