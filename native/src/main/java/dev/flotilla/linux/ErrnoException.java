package dev.flotilla.linux;

/**
 * A system call failed. The message names the call, what it was applied to, and the
 * {@code strerror} text, so it can be shown to a person as is.
 */
public final class ErrnoException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    ErrnoException(String call, String target, int errno, String description) {
        super(call + "(" + target + ") failed: " + description + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The libc function that failed, e.g. {@code "setns"}. */
    public String call() {
        return call;
    }

    /** The {@code errno} the call left behind. */
    public int errno() {
        return errno;
    }
}
