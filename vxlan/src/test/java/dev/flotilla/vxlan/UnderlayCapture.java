package dev.flotilla.vxlan;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.pcap4j.core.BpfProgram.BpfCompileMode;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.Pcaps;

/**
 * Captures udp/4789 on an interface inside a namespace with libpcap (pcap4j), on a thread of its
 * own that entered the namespace (the capture socket belongs to it), and decodes the VXLAN
 * packets by hand: the point is to check the bytes on the wire, not to trust a dissector.
 */
final class UnderlayCapture implements AutoCloseable {

    /** One captured VXLAN packet, outer and inner fields as read from the raw bytes. */
    record VxlanPacket(int outerSrc, int outerDst, int udpDstPort, int flags, int reserved1, int vni, int reserved2,
                       long innerDstMac, long innerSrcMac, int innerEtherType, int innerSrcIp, int innerDstIp) {
    }

    /** Capture poll interval while the ring is empty. */
    private static final long POLL_NANOS = 1_000_000;
    private static final String LIBPCAP = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";

    private final List<VxlanPacket> packets = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> started;
    private final CompletableFuture<Void> finished;
    private volatile boolean stop;

    private UnderlayCapture(String netns, String ifname) {
        if (System.getProperty("org.pcap4j.core.pcapLibName") == null && Files.exists(Path.of(LIBPCAP))) {
            System.setProperty("org.pcap4j.core.pcapLibName", LIBPCAP);
        }
        started = new CompletableFuture<>();
        finished = Netlab.inNamespace(netns, () -> {
            try (PcapHandle handle = Pcaps.getDevByName(ifname).openLive(65536, PromiscuousMode.NONPROMISCUOUS, 50)) {
                handle.setFilter("udp port 4789", BpfCompileMode.OPTIMIZE);
                // Linux libpcap may never time out a read while no packet arrives: poll instead.
                handle.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
                started.complete(null);
                while (!stop) {
                    byte[] raw = handle.getNextRawPacket(); // null when nothing is pending
                    if (raw == null) {
                        LockSupport.parkNanos(POLL_NANOS);
                        continue;
                    }
                    VxlanPacket packet = decode(raw);
                    if (packet != null) {
                        packets.add(packet);
                    }
                }
            } catch (Throwable t) {
                started.completeExceptionally(t);
                throw t;
            }
            return null;
        });
    }

    /** Starts capturing and returns once the capture is live. */
    static UnderlayCapture start(String netns, String ifname) throws Exception {
        UnderlayCapture capture = new UnderlayCapture(netns, ifname);
        Netlab.await(capture.started);
        return capture;
    }

    List<VxlanPacket> packets() {
        return packets;
    }

    @Override
    public void close() throws Exception {
        stop = true;
        Netlab.await(finished);
    }

    /** Ethernet / IPv4 / UDP / VXLAN / inner Ethernet [/ inner IPv4], or {@code null} if not that. */
    static VxlanPacket decode(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (raw.length < 14 + 20 + 8 + 8 + 14 || b.getShort(12) != 0x0800) {
            return null;
        }
        int ip = 14;
        int ihl = (b.get(ip) & 0x0f) * 4;
        if (b.get(ip + 9) != 17) {
            return null;
        }
        int udp = ip + ihl;
        int vx = udp + 8;
        int inner = vx + 8;
        if (raw.length < inner + 14) {
            return null;
        }
        int innerType = b.getShort(inner + 12) & 0xffff;
        boolean innerIpv4 = innerType == 0x0800 && raw.length >= inner + 14 + 20;
        return new VxlanPacket(b.getInt(ip + 12), b.getInt(ip + 16), b.getShort(udp + 2) & 0xffff,
                b.get(vx) & 0xff, b.getInt(vx) & 0xff_ffff, b.getInt(vx + 4) >>> 8, b.get(vx + 7) & 0xff,
                mac(b, inner), mac(b, inner + 6), innerType,
                innerIpv4 ? b.getInt(inner + 14 + 12) : 0, innerIpv4 ? b.getInt(inner + 14 + 16) : 0);
    }

    private static long mac(ByteBuffer b, int at) {
        return (long) (b.getShort(at) & 0xffff) << 32 | (b.getInt(at + 2) & 0xffff_ffffL);
    }
}
