package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;

/**
 * Receive offload for one lane: consecutive decapsulated frames of one TCP/IPv4 flow (in order,
 * same headers, full-MSS segments) are merged into one super-frame and written to the TAP once
 * with a {@code virtio_net_hdr} ({@code GSO_TCPV4}, {@code gso_size} = MSS, partial checksum), so
 * the bridge and the task's TCP stack handle one packet instead of dozens, as after the kernel's
 * own GRO. The rules follow the kernel's {@code tcp_gro_receive}: only ACK (+PSH) segments whose
 * IPv4 and TCP checksums verify, same addresses, ports, ACK number, flags, window and options,
 * sequence numbers contiguous, every segment but the last exactly the first's size (at least
 * {@value #MIN_MSS} bytes); PSH or a shorter segment ends the super-frame. Anything else is
 * written on its own, in order.
 *
 * <p>Confined to the lane's event loop: {@link #offer} during a read, {@link #flush} when the
 * read completes (so nothing is held across loop iterations and a detached TAP's descriptor is
 * never written after the detach barrier). One reusable buffer; no allocation per packet.
 */
final class TcpCoalescer {

    /** virtio_net_hdr + Ethernet + the largest IPv4 packet. */
    static final int CAPACITY = VirtioNetHeader.LENGTH + EthernetFrame.HEADER_LENGTH + 65_535;
    private static final int FRAME = VirtioNetHeader.LENGTH;
    private static final int IP = FRAME + EthernetFrame.HEADER_LENGTH;
    private static final int TCP = IP + 20;
    /**
     * Smallest first segment that starts a super-frame (RFC 879's default MSS): the first segment
     * sets {@code gso_size}, and a peer's train of tiny segments must not become a GSO frame of
     * thousands of 1-byte segments. Smaller ones (interactive traffic) go on their own.
     */
    static final int MIN_MSS = 536;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = 0x08;

    private final ByteBufAllocator alloc;
    private final VtepCounters counters;
    private ByteBuf out;

    /** The TAP the pending super-frame goes to; {@code null} when nothing is pending. */
    private TapDevice tap;
    private int segments;
    private int bytes;
    private int mss;
    private int headers;
    private int nextSeq;

    TcpCoalescer(ByteBufAllocator alloc, VtepCounters counters) {
        this.alloc = alloc;
        this.counters = counters;
    }

    /**
     * Delivers {@code frame}'s readable bytes (one inner Ethernet frame) to {@code target}, now or
     * at the next {@link #flush}. The caller keeps {@code frame}: its bytes are copied.
     */
    void offer(TapDevice target, ByteBuf frame) {
        if (!target.vnetHeader()) {
            flush();
            writePlain(target, frame);
            return;
        }
        int at = frame.readerIndex();
        int length = frame.readableBytes();
        int frameHeaders = candidateHeaders(frame, at, length);
        if (frameHeaders < 0) {
            flush();
            writeSingle(target, frame, at, length, 0);
            return;
        }
        int payload = length - frameHeaders;
        if (tap != null && !continues(target, frame, at, frameHeaders, payload)) {
            flush();
        }
        if (tap == null && payload < MIN_MSS) {
            writeSingle(target, frame, at, length, 0);
            return;
        }
        ByteBuf buf = buffer();
        int ip = at + EthernetFrame.HEADER_LENGTH;
        int tcp = ip + 20;
        int flags = frame.getUnsignedByte(tcp + 13);
        // The TCP checksum is verified while the payload is copied (one pass); a segment that
        // fails leaves the pending bytes as they were and goes on its own, for the kernel to drop.
        long sum = InetChecksum.pseudoHeader(frame.getInt(ip + 12), frame.getInt(ip + 16), InetChecksum.PROTO_TCP,
                length - EthernetFrame.HEADER_LENGTH - 20);
        sum = InetChecksum.add(sum, frame, tcp, frameHeaders - EthernetFrame.HEADER_LENGTH - 20);
        int payloadAt = tap == null ? FRAME + frameHeaders : FRAME + bytes;
        sum = InetChecksum.copyAndAdd(sum, frame, at + frameHeaders, buf, payloadAt, payload);
        if (!InetChecksum.verifies(sum)) {
            flush();
            writeSingle(target, frame, at, length, 0);
            return;
        }
        if (tap == null) {
            InetChecksum.copy(frame, at, buf, FRAME, frameHeaders);
            tap = target;
            segments = 1;
            bytes = length;
            mss = payload;
            headers = frameHeaders;
            nextSeq = frame.getInt(tcp + 4) + payload;
        } else {
            segments++;
            bytes += payload;
            nextSeq += payload;
            if ((flags & TCP_PSH) != 0) {
                buf.setByte(TCP + 13, TCP_ACK | TCP_PSH);
            }
        }
        if (payload < mss || (flags & TCP_PSH) != 0 || bytes + mss > CAPACITY - FRAME) {
            flush();
        }
    }

    /** Writes the pending super-frame, if any. */
    void flush() {
        TapDevice target = tap;
        if (target == null) {
            return;
        }
        tap = null;
        ByteBuf buf = out;
        try {
            if (segments == 1) {
                // Verified on the way in: spare the kernel a second pass.
                VirtioNetHeader.setNone(buf, 0);
                buf.setByte(0, VirtioNetHeader.F_DATA_VALID);
            } else {
                int tcpLength = bytes - EthernetFrame.HEADER_LENGTH - 20;
                buf.setShort(IP + 2, 20 + tcpLength);
                InetChecksum.setIpv4HeaderChecksum(buf, IP, 20);
                // CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel adds the rest.
                buf.setShort(TCP + 16, InetChecksum.fold(InetChecksum.pseudoHeader(buf.getInt(IP + 12),
                        buf.getInt(IP + 16), InetChecksum.PROTO_TCP, tcpLength)));
                VirtioNetHeader.setTcpv4(buf, 0, headers, mss, EthernetFrame.HEADER_LENGTH + 20);
                counters.rxSuperFrame();
            }
            buf.setIndex(0, FRAME + bytes);
            target.writeVnet(buf);
            counters.received(segments, bytes + (segments - 1) * headers);
        } catch (IOException e) {
            counters.tapWriteError();
        }
    }

    /** Releases the buffer; the lane is closing. Loop only. */
    void release() {
        tap = null;
        if (out != null) {
            out.release();
            out = null;
        }
    }

    private ByteBuf buffer() {
        if (out == null) {
            out = alloc.directBuffer(CAPACITY, CAPACITY);
        }
        return out;
    }

    private boolean continues(TapDevice target, ByteBuf frame, int at, int frameHeaders, int payload) {
        ByteBuf buf = out;
        if (target != tap || frameHeaders != headers || payload > mss
                || bytes + payload > CAPACITY - FRAME) {
            return false;
        }
        int ip = at + EthernetFrame.HEADER_LENGTH;
        int tcp = ip + 20;
        // TOS, TTL/protocol, addresses; DF and fragment offset.
        if (frame.getByte(ip + 1) != buf.getByte(IP + 1) || frame.getShort(ip + 8) != buf.getShort(IP + 8)
                || frame.getLong(ip + 12) != buf.getLong(IP + 12) || frame.getShort(ip + 6) != buf.getShort(IP + 6)) {
            return false;
        }
        // Ports, then the sequence number, the ACK number, offset/flags/window (PSH aside).
        if (frame.getInt(tcp) != buf.getInt(TCP) || frame.getInt(tcp + 4) != nextSeq
                || frame.getInt(tcp + 8) != buf.getInt(TCP + 8)
                || ((frame.getInt(tcp + 12) ^ buf.getInt(TCP + 12)) & ~(TCP_PSH << 16)) != 0) {
            return false;
        }
        // Options (timestamps): byte for byte.
        int thl = frameHeaders - EthernetFrame.HEADER_LENGTH - 20;
        for (int i = 20; i < thl; i += 4) {
            if (frame.getInt(tcp + i) != buf.getInt(TCP + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Headers length if {@code frame} may join a super-frame: TCP/IPv4 without IP options, not a
     * fragment, flags ACK or ACK|PSH, payload, and an IPv4 header checksum that verifies (the TCP
     * checksum is verified while copying). Otherwise -1.
     */
    static int candidateHeaders(ByteBuf frame, int at, int length) {
        // Untagged only: the offsets below (and the super-frame's csum_start) assume IPv4 at 14.
        if (TcpSegmenter.linkHeaderLength(frame, at, length) != EthernetFrame.HEADER_LENGTH) {
            return -1;
        }
        int headers = TcpSegmenter.headerLength(frame, at, length);
        if (headers < 0) {
            return -1;
        }
        int ip = at + EthernetFrame.HEADER_LENGTH;
        int tcp = ip + 20;
        if (frame.getUnsignedByte(ip) != 0x45 || (frame.getUnsignedByte(tcp + 13) & ~TCP_PSH) != TCP_ACK) {
            return -1;
        }
        if (!InetChecksum.verifies(InetChecksum.add(0, frame, ip, 20))) {
            return -1;
        }
        return headers;
    }

    /** A frame that joins nothing: copied after an all-zero (or {@code flags}) header and written. */
    private void writeSingle(TapDevice target, ByteBuf frame, int at, int length, int flags) {
        if (length > CAPACITY - FRAME) {
            counters.drop(DropReason.OVERSIZE);
            return;
        }
        ByteBuf buf = buffer();
        VirtioNetHeader.setNone(buf, 0);
        buf.setByte(0, flags);
        InetChecksum.copy(frame, at, buf, FRAME, length);
        buf.setIndex(0, FRAME + length);
        try {
            target.writeVnet(buf);
            counters.received(length);
        } catch (IOException e) {
            counters.tapWriteError();
        }
    }

    private void writePlain(TapDevice target, ByteBuf frame) {
        int length = frame.readableBytes();
        try {
            target.write(frame);
            counters.received(length);
        } catch (IOException e) {
            counters.tapWriteError();
        }
    }
}
