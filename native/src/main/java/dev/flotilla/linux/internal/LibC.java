package dev.flotilla.linux.internal;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc functions Flotilla calls directly. Internal: public only because jnr-ffi generates
 * its implementation in another class loader. Callers go through {@code dev.flotilla.linux.NetNs}
 * and {@code TunTap}, which check return values and turn {@code errno} into {@code ErrnoException}.
 *
 * <p>Every call saves {@code errno} so it can be read with {@code LastError.getLastError(runtime)}
 * on the same thread right after the call.
 */
public interface LibC {

    // Linux asm-generic values; identical on x86_64 and aarch64, the only targets we build for.
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;
    int CLONE_NEWNET = 0x40000000;

    @SaveError
    int open(String path, int flags);

    @SaveError
    int close(int fd);

    /** ioctl whose argument is a caller-owned buffer the kernel reads and may write back. */
    @SaveError
    int ioctl(int fd, long request, @In @Out byte[] arg);

    /** ioctl whose argument is passed by value (an {@code unsigned long} such as offload flags). */
    @SaveError
    int ioctl(int fd, long request, long arg);

    @SaveError
    int setns(int fd, int nstype);

    @SaveError
    int unshare(int flags);

    /** Safe here: glibc returns static strings for every errno the calls above can produce. */
    String strerror(int errnum);
}
