package dev.flotilla.linux;

import dev.flotilla.linux.internal.LibC;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open handle on a network namespace: a file descriptor on an {@code nsfs} file such as
 * {@code /run/netns/NAME} (what {@code ip netns add} creates) or {@code /proc/thread-self/ns/net}.
 *
 * <p>Network namespaces are per <em>thread</em> on Linux, and a JVM thread is a kernel thread, so
 * {@link #enter()} moves only the calling thread. Sockets, TAP devices and {@code /proc/sys/net}
 * files belong to the namespace of the thread that creates or opens them. Enter only on threads you
 * own (a dedicated thread or an event loop built for it), never on a pooled thread that would go on
 * to run other people's work in the wrong namespace.
 *
 * <p>The handle owns its descriptor until {@link #close()}. Closing does not affect threads that
 * already entered, and a namespace named under {@code /run/netns} outlives the handle.
 * Thread-safe.
 */
public final class NetNs implements AutoCloseable {

    private static final Path NAMED_DIR = Path.of("/run/netns");
    private static final int CLOSED = -1;

    private final AtomicInteger fd;
    private final String description;

    private NetNs(int fd, String description) {
        this.fd = new AtomicInteger(fd);
        this.description = description;
    }

    /**
     * Opens the namespace {@code ip netns add NAME} created.
     *
     * @throws IllegalArgumentException if {@code name} cannot be a namespace name
     * @throws ErrnoException naming the namespace if it does not exist or cannot be opened
     */
    public static NetNs open(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid network namespace name: '" + name + "'");
        }
        Path path = NAMED_DIR.resolve(name);
        try {
            return openPath(path, "network namespace '" + name + "'");
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                throw new ErrnoException("open", path.toString(), e.errno(),
                        "network namespace '" + name + "' does not exist");
            }
            throw e;
        }
    }

    /** Opens a namespace by any nsfs path, e.g. {@code /proc/PID/ns/net}. */
    public static NetNs openPath(Path path) {
        return openPath(path, path.toString());
    }

    /** Opens the namespace the calling thread is in now. */
    public static NetNs current() {
        return openPath(Path.of("/proc/thread-self/ns/net"), "current network namespace");
    }

    /**
     * Moves the calling thread into a new, anonymous network namespace (holding only a down
     * {@code lo}) and returns a handle on it. The namespace lives while a thread is in it or a
     * handle is open.
     */
    public static NetNs unshare() {
        LibC libc = Native.libc();
        if (libc.unshare(LibC.CLONE_NEWNET) != 0) {
            throw Native.lastError("unshare", "CLONE_NEWNET");
        }
        return current();
    }

    private static NetNs openPath(Path path, String description) {
        LibC libc = Native.libc();
        int fd = libc.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw Native.lastError("open", path.toString());
        }
        return new NetNs(fd, description);
    }

    /** The open descriptor; valid until {@link #close()}. */
    public int fd() {
        int value = fd.get();
        if (value == CLOSED) {
            throw new IllegalStateException(description + ": handle is closed");
        }
        return value;
    }

    /**
     * Moves the <em>calling thread</em> into this namespace ({@code setns(fd, CLONE_NEWNET)}).
     * Needs {@code CAP_SYS_ADMIN}.
     *
     * @throws ErrnoException with the {@code strerror} text if the kernel refuses
     */
    public void enter() {
        int value = fd();
        if (Native.libc().setns(value, LibC.CLONE_NEWNET) != 0) {
            throw Native.lastError("setns", description);
        }
    }

    /** Closes the descriptor; idempotent. */
    @Override
    public void close() {
        int value = fd.getAndSet(CLOSED);
        if (value != CLOSED) {
            FileDescriptors.close(value);
        }
    }

    @Override
    public String toString() {
        return "NetNs(" + description + ", fd=" + fd.get() + ")";
    }
}
