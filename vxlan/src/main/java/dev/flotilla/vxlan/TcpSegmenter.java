package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;

/**
 * Transmit offload: splits a TCP/IPv4 super-frame that a TAP with {@code TUN_F_TSO4} handed over
 * (up to 64 KiB, with a {@code virtio_net_hdr} giving the MSS as {@code gso_size}) into MSS-sized
 * inner frames, each prefixed by its own VXLAN header and laid out back to back in one buffer, so
 * the socket sends them with one {@code sendmsg} and {@code UDP_SEGMENT} (UDP GSO): every datagram
 * on the wire is an ordinary VXLAN packet with a complete inner Ethernet/IPv4/TCP frame.
 *
 * <p>Per segment, as the kernel's {@code tcp_gso_segment} does: IPv4 total length, identification
 * (+1 per segment) and header checksum; TCP sequence number, FIN/PSH only on the last segment, CWR
 * only on the first, and the full TCP checksum (the header's partial checksum is ignored and
 * recomputed from scratch). Stateless; the input buffer is only read.
 */
final class TcpSegmenter {

    /** Largest UDP payload of one IPv4 {@code sendmsg}: 65535 - 20 - 8. */
    static final int MAX_UDP_PAYLOAD = 65_507;
    /** Segments per {@code sendmsg}: the kernel's floor for {@code UDP_MAX_SEGMENTS}. */
    static final int MAX_SEGMENTS_PER_SEND = 64;
    /** A super-frame yielding more segments than this has a bogus {@code gso_size}. */
    static final int MAX_SEGMENTS = 256;

    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;

    private TcpSegmenter() {
    }

    /**
     * Segments the Ethernet frame at absolute {@code frame} ({@code length} bytes) of {@code in}
     * with MSS {@code gsoSize} and queues the datagrams on {@code udp} for {@code recipient}.
     *
     * @param in read only; ownership stays with the caller
     * @param maxFrameLength the largest inner frame the underlay carries (segments must fit)
     * @return the number of inner frames queued (counted in {@code counters} as sent),
     *     or -1 after counting a drop: {@link DropReason#BAD_VNET_HEADER} if the frame is not
     *     TCP/IPv4 as the header claims or the sizes are bogus, {@link DropReason#OVERSIZE} if
     *     one segment would not fit the underlay
     */
    static int segment(ByteBuf in, int frame, int length, int gsoSize, int vni, int maxFrameLength,
            ByteBufAllocator alloc, UdpBind udp, InetSocketAddress recipient, VtepCounters counters) {
        int l2 = linkHeaderLength(in, frame, length);
        int headers = headerLength(in, frame, length);
        if (headers < 0 || gsoSize < 1) {
            counters.drop(DropReason.BAD_VNET_HEADER);
            return -1;
        }
        int ip = frame + l2;
        int ihl = (in.getUnsignedByte(ip) & 0x0f) * 4;
        int tcp = ip + ihl;
        int thl = headers - l2 - ihl;
        int payload = length - headers;
        int segments = (payload + gsoSize - 1) / gsoSize;
        if (segments > MAX_SEGMENTS) {
            counters.drop(DropReason.BAD_VNET_HEADER);
            return -1;
        }
        if (headers + Math.min(gsoSize, payload) > maxFrameLength) {
            counters.drop(DropReason.OVERSIZE);
            return -1;
        }
        int segmentSize = VxlanHeader.LENGTH + headers + gsoSize;
        int perSend = Math.max(1, Math.min(MAX_SEGMENTS_PER_SEND, MAX_UDP_PAYLOAD / segmentSize));

        int source = in.getInt(ip + 12);
        int destination = in.getInt(ip + 16);
        int ipId = in.getUnsignedShort(ip + 4);
        int seq = in.getInt(tcp + 4);
        int flags = in.getUnsignedByte(tcp + 13);
        int vxlanWord1 = VxlanHeader.checkVni(vni) << 8;
        int flow = FlowHash.of(in, frame, length);

        int done = 0;
        int offset = frame + headers;
        int innerBytes = 0;
        while (done < segments) {
            int count = Math.min(perSend, segments - done);
            int chunkPayload = Math.min(count * gsoSize, payload - done * gsoSize);
            ByteBuf out = alloc.directBuffer(count * (VxlanHeader.LENGTH + headers) + chunkPayload);
            boolean handedOver = false;
            try {
                for (int i = 0; i < count; i++) {
                    int index = done + i;
                    int size = Math.min(gsoSize, payload - index * gsoSize);
                    boolean last = index == segments - 1;
                    out.writeInt(VxlanHeader.FLAG_VNI << 24);
                    out.writeInt(vxlanWord1);
                    int oip = out.writerIndex() + l2;
                    int otcp = oip + ihl;
                    InetChecksum.copy(in, frame, out, out.writerIndex(), headers);
                    out.writerIndex(out.writerIndex() + headers);
                    out.setShort(oip + 2, ihl + thl + size);
                    out.setShort(oip + 4, ipId + index);
                    InetChecksum.setIpv4HeaderChecksum(out, oip, ihl);
                    out.setInt(otcp + 4, seq + index * gsoSize);
                    int f = flags;
                    if (!last) {
                        f &= ~(TCP_FIN | TCP_PSH);
                    }
                    if (index > 0) {
                        f &= ~TCP_CWR;
                    }
                    out.setByte(otcp + 13, f);
                    out.setShort(otcp + 16, 0);
                    long sum = InetChecksum.pseudoHeader(source, destination, InetChecksum.PROTO_TCP, thl + size);
                    sum = InetChecksum.add(sum, out, otcp, thl);
                    // The payload is copied and summed in one pass.
                    sum = InetChecksum.copyAndAdd(sum, in, offset, out, out.writerIndex(), size);
                    out.writerIndex(out.writerIndex() + size);
                    offset += size;
                    out.setShort(otcp + 16, InetChecksum.finish(sum));
                    innerBytes += headers + size;
                }
                handedOver = true;
                if (count == 1) {
                    udp.send(out, recipient, flow);
                } else {
                    udp.sendSegmented(out, segmentSize, recipient, flow);
                }
            } finally {
                if (!handedOver) {
                    out.release();
                }
            }
            done += count;
        }
        counters.sent(segments, innerBytes);
        return segments;
    }

    /** 802.1Q tag protocol identifier: a TAP with TSO may hand over VLAN-tagged super-frames. */
    static final int ETHERTYPE_VLAN = 0x8100;

    /**
     * 14 for an Ethernet frame carrying IPv4, 18 for one with an 802.1Q tag carrying IPv4, -1 for
     * anything else.
     */
    static int linkHeaderLength(ByteBuf buf, int frame, int length) {
        if (length < EthernetFrame.HEADER_LENGTH) {
            return -1;
        }
        int type = buf.getUnsignedShort(frame + EthernetFrame.ETHERTYPE_OFFSET);
        if (type == EthernetFrame.ETHERTYPE_IPV4) {
            return EthernetFrame.HEADER_LENGTH;
        }
        if (type == ETHERTYPE_VLAN && length >= EthernetFrame.HEADER_LENGTH + 4
                && buf.getUnsignedShort(frame + EthernetFrame.ETHERTYPE_OFFSET + 4) == EthernetFrame.ETHERTYPE_IPV4) {
            return EthernetFrame.HEADER_LENGTH + 4;
        }
        return -1;
    }

    /**
     * Length of the Ethernet (with at most one 802.1Q tag) + IPv4 + TCP headers of the frame at
     * absolute {@code frame}, or -1 if it is not an unfragmented TCP/IPv4 frame whose IPv4 total
     * length matches {@code length} and which carries at least one byte of payload.
     */
    static int headerLength(ByteBuf buf, int frame, int length) {
        int l2 = linkHeaderLength(buf, frame, length);
        if (l2 < 0 || length < l2 + 20 + 20) {
            return -1;
        }
        int ip = frame + l2;
        int versionIhl = buf.getUnsignedByte(ip);
        int ihl = (versionIhl & 0x0f) * 4;
        if (versionIhl >>> 4 != 4 || ihl < 20 || buf.getUnsignedByte(ip + 9) != InetChecksum.PROTO_TCP
                || buf.getUnsignedShort(ip + 2) != length - l2
                || (buf.getUnsignedShort(ip + 6) & 0x3fff) != 0) {
            return -1;
        }
        int tcp = ip + ihl;
        if (tcp + 20 > frame + length) {
            return -1;
        }
        int thl = (buf.getUnsignedByte(tcp + 12) >>> 4) * 4;
        int headers = l2 + ihl + thl;
        if (thl < 20 || headers >= length) {
            return -1;
        }
        return headers;
    }
}
