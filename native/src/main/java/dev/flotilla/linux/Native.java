package dev.flotilla.linux;

import dev.flotilla.linux.internal.LibC;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Probes, once, whether libc can be bound through jnr-ffi on this machine.
 *
 * <p>Loading this class never fails: where the native side is missing (not Linux, no jffi stub)
 * {@link #isAvailable()} is {@code false} and {@link #unavailabilityCause()} says why, as Netty's
 * {@code Epoll} does. Every class in this package calls {@link #ensureAvailability()} before it
 * touches libc.
 */
public final class Native {

    private static final LibC LIBC;
    private static final Runtime RUNTIME;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static {
        LibC libc = null;
        Runtime runtime = null;
        Throwable cause = null;
        try {
            String os = System.getProperty("os.name", "");
            if (!os.toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
                throw new UnsupportedOperationException("flotilla-native needs Linux, this is " + os);
            }
            libc = LibraryLoader.create(LibC.class).load("c");
            runtime = Runtime.getRuntime(libc);
            // Resolve one symbol now so a broken binding fails here, not at the first real call.
            libc.strerror(0);
        } catch (Throwable t) {
            libc = null;
            runtime = null;
            cause = t;
        }
        LIBC = libc;
        RUNTIME = runtime;
        UNAVAILABILITY_CAUSE = cause;
    }

    private Native() {
    }

    /** {@code true} when libc is bound and the calls in this package can be made. */
    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Throws {@link UnsatisfiedLinkError}, with the probe's failure as cause, when not {@link #isAvailable()}. */
    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw (Error) new UnsatisfiedLinkError("flotilla-native is unavailable: " + UNAVAILABILITY_CAUSE)
                    .initCause(UNAVAILABILITY_CAUSE);
        }
    }

    /** Why the native side is unavailable, or {@code null} when it is available. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    static LibC libc() {
        ensureAvailability();
        return LIBC;
    }

    /** The calling thread's {@code errno} as saved by the last libc call on this thread. */
    static int lastErrno() {
        return LastError.getLastError(RUNTIME);
    }

    /** Builds the exception for a call that just returned -1 on this thread. */
    static ErrnoException lastError(String call, String target) {
        int errno = lastErrno();
        return new ErrnoException(call, target, errno, LIBC.strerror(errno));
    }
}
