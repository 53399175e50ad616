package dev.flotilla.executor;

import java.time.Duration;

/**
 * One task container's life on this node, in swarmkit's order: {@link #prepare}, {@link #start},
 * {@link #waitExit}, then {@link #shutdown} (or {@link #terminate}) and {@link #remove}.
 *
 * <p>The task's own thread makes the calls in that order; {@link #shutdown} and {@link #terminate} may
 * also come from another thread while {@link #waitExit} blocks, and that is how a waiting task is stopped.
 */
public interface Controller {

    /**
     * Creates the container from its image, ready to start; it does not run yet.
     *
     * @throws NoSuchImageException if the image is not on this node (the message reads {@code No such image: NAME:TAG})
     * @throws RuntimeException for anything else that kept it from being created; the message says what
     */
    void prepare();

    /**
     * Starts the prepared container and returns once its process runs (or already ended).
     *
     * @throws RuntimeException if it could not start; the message says why
     */
    void start();

    /** Blocks until the started container's process ended, and returns its exit code (137 when SIGKILLed). */
    int waitExit();

    /** SIGTERM, then SIGKILL if it still runs after {@code grace}; returns once it ended. Fine if it is not running. */
    void shutdown(Duration grace);

    /** SIGKILL now, as {@code rm -f} does. Fine if it already ended. */
    void terminate();

    /** Kills the container if it still runs and deletes all it holds on the node. Fine if it was never prepared. */
    void remove();
}
