package dev.flotilla.agent;

/** A task container this node runs, as the engine API sees it. */
public interface TaskHandle {

    String containerId();

    String containerName();

    /**
     * Kills the container with SIGKILL, as {@code rm -f} does, and returns once the task has been
     * reported failed (exit 137) and its container and sandbox are gone.
     */
    void killAndAwaitRemoval();
}
