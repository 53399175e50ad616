package dev.flotilla.executor;

import java.time.Duration;
import java.util.List;

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

    /**
     * {@code signal} (a name such as {@code TERM} or {@code SIGQUIT}, or a number), then SIGKILL if
     * it still runs after {@code grace}; returns once it ended. Fine if it is not running.
     */
    void shutdown(String signal, Duration grace);

    /**
     * Runs {@code argv} in the running container (a health check) and returns its exit code, or
     * -1 if it ran longer than {@code timeout} (it is then killed) or could not run at all.
     */
    int probe(List<String> argv, Duration timeout);

    /** The HEALTHCHECK of the container's image, once {@link #prepare}d; empty if it has none. */
    default java.util.Optional<ImageConfig.Healthcheck> imageHealthcheck() {
        return java.util.Optional.empty();
    }

    /** SIGKILL now, as {@code rm -f} does. Fine if it already ended. */
    void terminate();

    /** Kills the container if it still runs and deletes all it holds on the node. Fine if it was never prepared. */
    void remove();
}
