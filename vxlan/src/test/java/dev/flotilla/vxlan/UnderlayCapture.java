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
                       long innerDstMac, long innerSrcMac, int innerEtherType, int innerSrcIp, int innerDstIp,
                       int innerProtocol, boolean innerLengthMatches, boolean innerChecksumsVerify, int segmentsInCapture,
                       int udpSrcPort, int innerPorts) {
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
            try (PcapHandle handle = Pcaps.getDevByName(ifname).openLive(262_144, PromiscuousMode.NONPROMISCUOUS, 50)) {
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
                    packets.addAll(decodeAll(raw));
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

    /**
     * Ethernet / IPv4 / UDP / VXLAN / inner Ethernet [/ inner IPv4], one record per datagram. A UDP
     * GSO batch is captured on a veth as one packet (nothing segments it on the way): its payload
     * is cut at the stride the first inner frame gives (VXLAN 8 + inner Ethernet 14 + inner IPv4
     * total length), and every piece must then be a complete VXLAN packet of its own.
     */
    static List<VxlanPacket> decodeAll(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        if (raw.length < 14 + 20 + 8 + 8 + 14 || b.getShort(12) != 0x0800) {
            return List.of();
        }
        int ip = 14;
        int ihl = (b.get(ip) & 0x0f) * 4;
        if (b.get(ip + 9) != 17) {
            return List.of();
        }
        int udp = ip + ihl;
        int first = udp + 8;
        int stride = raw.length - first;
        if (raw.length >= first + 8 + 14 + 20 && (b.getShort(first + 8 + 12) & 0xffff) == 0x0800) {
            stride = Math.min(stride, 8 + 14 + (b.getShort(first + 8 + 14 + 2) & 0xffff));
        }
        if (stride < 8 + 14) {
            return List.of();
        }
        int segments = (raw.length - first + stride - 1) / stride;
        List<VxlanPacket> out = new java.util.ArrayList<>();
        for (int vx = first; vx < raw.length; vx += stride) {
            int end = Math.min(raw.length, vx + stride);
            int inner = vx + 8;
            if (end < inner + 14) {
                break;
            }
            int innerType = b.getShort(inner + 12) & 0xffff;
            boolean innerIpv4 = innerType == 0x0800 && end >= inner + 14 + 20;
            int innerIp = inner + 14;
            int protocol = innerIpv4 ? b.get(innerIp + 9) & 0xff : -1;
            boolean lengthMatches = innerIpv4 && 14 + (b.getShort(innerIp + 2) & 0xffff) == end - inner;
            boolean checksums = lengthMatches && checksumsVerify(b, innerIp, end);
            out.add(new VxlanPacket(b.getInt(ip + 12), b.getInt(ip + 16), b.getShort(udp + 2) & 0xffff,
                    b.get(vx) & 0xff, b.getInt(vx) & 0xff_ffff, b.getInt(vx + 4) >>> 8, b.get(vx + 7) & 0xff,
                    mac(b, inner), mac(b, inner + 6), innerType,
                    innerIpv4 ? b.getInt(innerIp + 12) : 0, innerIpv4 ? b.getInt(innerIp + 16) : 0,
                    protocol, lengthMatches, checksums, segments, b.getShort(udp) & 0xffff,
                    innerIpv4 && end >= innerIp + ((b.get(innerIp) & 0x0f) * 4) + 4
                            ? b.getInt(innerIp + (b.get(innerIp) & 0x0f) * 4) : 0));
        }
        return out;
    }

    /** The inner IPv4 header checksum and, for TCP, the TCP checksum over [ip, end). */
    private static boolean checksumsVerify(ByteBuffer b, int ip, int end) {
        int ihl = (b.get(ip) & 0x0f) * 4;
        if (sum(b, ip, ihl, 0) != 0xffff) {
            return false;
        }
        if ((b.get(ip + 9) & 0xff) != 6) {
            return true;
        }
        int tcpLength = end - ip - ihl;
        long pseudo = (b.getShort(ip + 12) & 0xffff) + (b.getShort(ip + 14) & 0xffff) + (b.getShort(ip + 16) & 0xffff)
                + (b.getShort(ip + 18) & 0xffff) + 6 + tcpLength;
        return sum(b, ip + ihl, tcpLength, pseudo) == 0xffff;
    }

    private static int sum(ByteBuffer b, int at, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += b.getShort(at + i) & 0xffff;
        }
        if ((length & 1) != 0) {
            sum += (b.get(at + length - 1) & 0xff) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    private static long mac(ByteBuffer b, int at) {
        return (long) (b.getShort(at) & 0xffff) << 32 | (b.getInt(at + 2) & 0xffff_ffffL);
    }
}
