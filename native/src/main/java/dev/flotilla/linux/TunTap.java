package dev.flotilla.linux;

import dev.flotilla.linux.internal.LibC;
import java.nio.charset.StandardCharsets;

/**
 * Creates TAP devices through {@code /dev/net/tun}.
 *
 * <p>The device appears in the network namespace of the <em>calling thread</em>, so enter the
 * target namespace ({@link NetNs#enter()}) on a dedicated thread before calling {@link #openTap}.
 * The returned descriptor keeps working from any thread and any namespace afterwards. The caller
 * owns the descriptor; closing it removes the (non-persistent) device. Typically it is handed
 * to Netty's {@code io.netty.channel.unix.FileDescriptor}, which reads and writes whole frames.
 */
public final class TunTap {

    // Offload bits for setOffload (linux/if_tun.h). They promise the kernel we handle
    // partial checksums and segmentation ourselves, which is only true with IFF_VNET_HDR.
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;

    // _IOW('T', n, int): direction write, size 4, type 'T'.
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;

    /** sizeof(struct ifreq) on 64-bit Linux: 16 bytes of name, then a 24-byte union. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_FLAGS_OFFSET = 16;

    private TunTap() {
    }

    /** Same as {@link #openTap(String, boolean, boolean) openTap(ifname, vnetHdr, false)}: a blocking descriptor. */
    public static int openTap(String ifname, boolean vnetHdr) {
        return openTap(ifname, vnetHdr, false);
    }

    /**
     * Opens {@code /dev/net/tun} and attaches it to TAP device {@code ifname} (created if absent)
     * with {@code IFF_TAP | IFF_NO_PI}, plus {@code IFF_VNET_HDR} when {@code vnetHdr} is set (then
     * every frame is preceded by a {@code virtio_net_hdr}, 10 bytes unless changed with
     * {@link #setVnetHdrSize}). The device is created down.
     *
     * @param nonBlocking open with {@code O_NONBLOCK}, as needed for registration with epoll
     * @return the descriptor, owned by the caller
     * @throws IllegalArgumentException if {@code ifname} is not a valid interface name
     * @throws ErrnoException if the kernel refuses (no {@code CAP_NET_ADMIN}, name taken by a non-TAP, ...)
     */
    public static int openTap(String ifname, boolean vnetHdr, boolean nonBlocking) {
        byte[] ifreq = ifreq(ifname);
        short flags = (short) (IFF_TAP | IFF_NO_PI | (vnetHdr ? IFF_VNET_HDR : 0));
        ifreq[IFREQ_FLAGS_OFFSET] = (byte) flags; // struct ifreq is host order: little endian here
        ifreq[IFREQ_FLAGS_OFFSET + 1] = (byte) (flags >>> 8);

        LibC libc = Native.libc();
        int openFlags = LibC.O_RDWR | LibC.O_CLOEXEC | (nonBlocking ? LibC.O_NONBLOCK : 0);
        int fd = libc.open("/dev/net/tun", openFlags);
        if (fd < 0) {
            throw Native.lastError("open", "/dev/net/tun");
        }
        if (libc.ioctl(fd, TUNSETIFF, ifreq) != 0) {
            ErrnoException failure = Native.lastError("ioctl", "TUNSETIFF " + ifname);
            libc.close(fd);
            throw failure;
        }
        return fd;
    }

    /**
     * Tells the kernel which offloads this TAP's reader handles ({@code TUNSETOFFLOAD}), a mask
     * of the {@code TUN_F_*} constants; 0 turns them all off.
     */
    public static void setOffload(int fd, int flags) {
        if (Native.libc().ioctl(fd, TUNSETOFFLOAD, flags & 0xffffffffL) != 0) {
            throw Native.lastError("ioctl", "TUNSETOFFLOAD 0x" + Integer.toHexString(flags) + " on fd " + fd);
        }
    }

    /** Sets the {@code virtio_net_hdr} length ({@code TUNSETVNETHDRSZ}), e.g. 12 for the v1 header. */
    public static void setVnetHdrSize(int fd, int size) {
        byte[] value = {(byte) size, (byte) (size >>> 8), (byte) (size >>> 16), (byte) (size >>> 24)};
        if (Native.libc().ioctl(fd, TUNSETVNETHDRSZ, value) != 0) {
            throw Native.lastError("ioctl", "TUNSETVNETHDRSZ " + size + " on fd " + fd);
        }
    }

    private static byte[] ifreq(String ifname) {
        InterfaceNames.validate(ifname);
        byte[] ifreq = new byte[IFREQ_SIZE];
        byte[] name = ifname.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(name, 0, ifreq, 0, name.length); // the rest stays 0: NUL-terminated
        return ifreq;
    }
}
