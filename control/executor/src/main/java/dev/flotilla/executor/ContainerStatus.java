package dev.flotilla.executor;

/** Where a container is in its life, as far as its bundle and runc can tell. */
public enum ContainerStatus {
    /** Created (bundle and rootfs ready) but not started, or still starting. */
    CREATED,
    /** Its process is running. */
    RUNNING,
    /** Its process ended; the exit code is known unless the bundle lost it. */
    STOPPED,
    /** Started once, but neither runc nor its shim knows it any more and no exit code was recorded. */
    MISSING
}
