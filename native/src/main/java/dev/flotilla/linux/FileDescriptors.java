package dev.flotilla.linux;

/**
 * Closing raw descriptors handed out by this package ({@link TunTap}) when no Netty
 * {@code FileDescriptor} wraps them yet.
 */
public final class FileDescriptors {

    private FileDescriptors() {
    }

    /**
     * Closes {@code fd}. The descriptor is released even when this throws (Linux never retries
     * {@code close}), so callers must not close it again.
     *
     * @throws ErrnoException if the kernel reports an error, e.g. {@code EBADF}
     */
    public static void close(int fd) {
        if (Native.libc().close(fd) != 0) {
            throw Native.lastError("close", "fd " + fd);
        }
    }
}
