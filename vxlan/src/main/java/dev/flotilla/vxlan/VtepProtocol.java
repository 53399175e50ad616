package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The VTEP's protocol, between the device ({@link TapDevice}) and the socket ({@link UdpBind}) and
 * knowing nothing else of either: encapsulation of frames from a network's TAP by FDB lookup, ARP
 * suppression, and the receive checks (peer, header, VNI) before decapsulation. No I/O of its own
 * and no per-packet allocation apart from ARP replies (pooled); every drop is counted, never logged.
 *
 * <p>Thread-safety: both directions may run on several event loops at once. The attached
 * networks are a copy-on-write map (volatile read per packet, writers synchronized); the FDB and
 * peer filter are lock-free snapshots.
 */
public final class VtepProtocol {

    private final ForwardingDb fdb;
    private final PeerFilter peers;
    private final VtepCounters counters;
    private final ArpResponder arp;
    private final ByteBufAllocator alloc;
    /** The largest inner frame the underlay carries: larger frames from a TAP are dropped. */
    private final int maxFrameLength;

    /** VNI -> the network's TAP. Copy-on-write under {@code this}; never mutated once published. */
    private volatile IntObjectMap<TapDevice> taps = new IntObjectHashMap<>();

    /** For the default underlay MTU ({@link VtepConfig#defaults()}). */
    public VtepProtocol(ForwardingDb fdb, PeerFilter peers, VtepCounters counters, ByteBufAllocator alloc) {
        this(fdb, peers, counters, alloc, VtepConfig.defaults().maxFrameLength());
    }

    /** @param maxFrameLength {@link VtepConfig#maxFrameLength()} of the VTEP's configuration */
    public VtepProtocol(ForwardingDb fdb, PeerFilter peers, VtepCounters counters, ByteBufAllocator alloc,
            int maxFrameLength) {
        this.maxFrameLength = maxFrameLength;
        this.fdb = Objects.requireNonNull(fdb, "fdb");
        this.peers = Objects.requireNonNull(peers, "peers");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.arp = new ArpResponder(counters);
    }

    /**
     * Starts delivering network {@code vni}'s frames to {@code tap}.
     *
     * @throws IllegalStateException if the VNI already has a TAP
     */
    public synchronized void attach(int vni, TapDevice tap) {
        VxlanHeader.checkVni(vni);
        Objects.requireNonNull(tap, "tap");
        if (taps.containsKey(vni)) {
            throw new IllegalStateException("VNI " + vni + " is already attached to " + taps.get(vni).name());
        }
        IntObjectMap<TapDevice> next = new IntObjectHashMap<>(taps.size() + 1);
        next.putAll(taps);
        next.put(vni, tap);
        taps = next;
    }

    /**
     * Stops delivering network {@code vni}'s frames. A receive that read the old map may still be
     * writing to the returned TAP: see {@link Vtep#detach} for how the descriptor is closed safely.
     *
     * @return the TAP that was attached, or {@code null}
     */
    public synchronized TapDevice detach(int vni) {
        TapDevice tap = taps.get(vni);
        if (tap != null) {
            IntObjectMap<TapDevice> next = new IntObjectHashMap<>(taps.size());
            next.putAll(taps);
            next.remove(vni);
            taps = next;
        }
        return tap;
    }

    /** The TAP attached for {@code vni}, or {@code null}. */
    public TapDevice tap(int vni) {
        return taps.get(vni);
    }

    /**
     * Handles one frame read from network {@code vni}'s TAP: a unicast frame to a remote endpoint
     * is encapsulated in place and queued on {@code udp} (the caller flushes after its batch); a
     * broadcast ARP request is answered on {@code tap}; anything else is dropped and counted.
     *
     * @param frame the frame as its readable bytes, with {@link VxlanHeader#LENGTH} bytes of
     *     headroom before the reader index; ownership passes to this method (it is queued on
     *     {@code udp} or released here)
     */
    public void fromTap(int vni, TapDevice tap, ByteBuf frame, UdpBind udp) {
        boolean handedOver = false;
        try {
            int length = frame.readableBytes();
            if (length < EthernetFrame.HEADER_LENGTH) {
                counters.drop(DropReason.SHORT);
                return;
            }
            ForwardingTable table = fdb.table(vni);
            long destination = EthernetFrame.destination(frame);
            if (EthernetFrame.isGroup(destination)) {
                if (EthernetFrame.etherType(frame) == EthernetFrame.ETHERTYPE_ARP) {
                    answerArp(tap, frame, table);
                } else {
                    counters.drop(DropReason.NOT_FLOODED);
                }
                return;
            }
            ForwardingTable.Entry entry = route(table, destination, udp);
            if (entry == null) {
                return;
            }
            int flow = FlowHash.of(frame, frame.readerIndex(), length);
            VxlanHeader.encode(frame, vni);
            handedOver = true;
            udp.send(frame, entry.remote(), flow);
            counters.sent(length);
        } finally {
            if (!handedOver) {
                frame.release();
            }
        }
    }

    /**
     * Handles one read from a TAP opened with {@code IFF_VNET_HDR}: a {@code virtio_net_hdr}
     * followed by one frame. A TCP/IPv4 super-frame ({@code GSO_TCPV4}) is segmented by
     * {@link TcpSegmenter} and queued as UDP GSO batches; any other frame has its partial checksum
     * completed (when {@code NEEDS_CSUM}) in a copy and continues as in {@link #fromTap}. A header
     * asking for anything else is dropped as {@link DropReason#BAD_VNET_HEADER}.
     *
     * @param read the header and frame as its readable bytes; read only, the caller keeps it
     */
    public void fromTapVnet(int vni, TapDevice tap, ByteBuf read, UdpBind udp) {
        int at = read.readerIndex();
        int length = read.readableBytes();
        if (length < VirtioNetHeader.LENGTH + EthernetFrame.HEADER_LENGTH) {
            counters.drop(DropReason.SHORT);
            return;
        }
        int frame = at + VirtioNetHeader.LENGTH;
        int frameLength = length - VirtioNetHeader.LENGTH;
        int flags = VirtioNetHeader.flags(read, at);
        int gsoType = VirtioNetHeader.gsoType(read, at) & ~VirtioNetHeader.GSO_ECN;
        if ((flags & ~(VirtioNetHeader.F_NEEDS_CSUM | VirtioNetHeader.F_DATA_VALID)) != 0) {
            counters.drop(DropReason.BAD_VNET_HEADER);
            return;
        }
        if (gsoType == VirtioNetHeader.GSO_TCPV4) {
            long destination = EthernetFrame.getMac(read, frame);
            if (EthernetFrame.isGroup(destination)) {
                counters.drop(DropReason.NOT_FLOODED);
                return;
            }
            ForwardingTable.Entry entry = route(fdb.table(vni), destination, udp);
            if (entry != null && TcpSegmenter.segment(read, frame, frameLength, VirtioNetHeader.gsoSize(read, at), vni,
                    maxFrameLength, alloc, udp, entry.remote(), counters) > 0) {
                counters.txSuperFrame();
            }
            return;
        }
        if (gsoType != VirtioNetHeader.GSO_NONE) {
            counters.drop(DropReason.BAD_VNET_HEADER);
            return;
        }
        if (frameLength > maxFrameLength) {
            counters.drop(DropReason.OVERSIZE);
            return;
        }
        ByteBuf copy = alloc.directBuffer(VxlanHeader.LENGTH + frameLength);
        InetChecksum.copy(read, frame, copy, VxlanHeader.LENGTH, frameLength);
        copy.setIndex(VxlanHeader.LENGTH, VxlanHeader.LENGTH + frameLength);
        if ((flags & VirtioNetHeader.F_NEEDS_CSUM) != 0
                && !completeChecksum(copy, VirtioNetHeader.csumStart(read, at), VirtioNetHeader.csumOffset(read, at))) {
            copy.release();
            counters.drop(DropReason.BAD_VNET_HEADER);
            return;
        }
        fromTap(vni, tap, copy, udp);
    }

    /**
     * Fills in a partial checksum ({@code CHECKSUM_PARTIAL}): the 16-bit field at
     * {@code csumStart + csumOffset} holds the pseudo-header sum; the checksum covers everything
     * from {@code csumStart} to the end of the frame. {@code false} if the positions do not fit.
     */
    static boolean completeChecksum(ByteBuf frame, int csumStart, int csumOffset) {
        int length = frame.readableBytes();
        if (csumStart < EthernetFrame.HEADER_LENGTH || csumOffset > length || csumStart + csumOffset + 2 > length) {
            return false;
        }
        int start = frame.readerIndex() + csumStart;
        int checksum = InetChecksum.finish(InetChecksum.add(0, frame, start, length - csumStart));
        frame.setShort(start + csumOffset, checksum == 0 ? 0xffff : checksum);
        return true;
    }

    /** The remote entry for unicast {@code destination}, or {@code null} after counting why not. */
    private ForwardingTable.Entry route(ForwardingTable table, long destination, UdpBind udp) {
        ForwardingTable.Entry entry = table == null ? null : table.byMac(destination);
        if (entry == null) {
            counters.drop(DropReason.NO_FDB_ENTRY);
            return null;
        }
        if (entry.isLocal()) {
            counters.drop(DropReason.LOCAL_DESTINATION);
            return null;
        }
        if (!udp.isWritable()) {
            counters.drop(DropReason.UNDERLAY_BUSY);
            return null;
        }
        return entry;
    }

    /**
     * Handles one UDP payload received on the VXLAN port: drops it unless {@code sender} is a
     * cluster node, the header is valid and the VNI is attached; otherwise writes the inner frame
     * to that network's TAP.
     *
     * @param payload the datagram's payload; its reader index may be advanced past the header,
     *     ownership stays with the caller, who releases it
     */
    public void fromUdp(ByteBuf payload, InetSocketAddress sender) {
        fromUdp(payload, sender, null);
    }

    /**
     * As {@link #fromUdp(ByteBuf, InetSocketAddress)}, but the inner frame goes through the lane's
     * {@code rx} coalescer (which copies it), written when the coalescer is flushed; {@code null}
     * writes it now.
     */
    void fromUdp(ByteBuf payload, InetSocketAddress sender, TcpCoalescer rx) {
        if (!peers.accepts(sender.getAddress())) {
            counters.drop(DropReason.NOT_A_PEER);
            return;
        }
        DropReason invalid = VxlanHeader.validate(payload);
        if (invalid != null) {
            counters.drop(invalid);
            return;
        }
        TapDevice tap = taps.get(VxlanHeader.vni(payload));
        if (tap == null) {
            counters.drop(DropReason.UNKNOWN_VNI);
            return;
        }
        VxlanHeader.strip(payload);
        if (rx != null) {
            rx.offer(tap, payload);
            return;
        }
        int length = payload.readableBytes();
        try {
            tap.write(payload);
            counters.received(length);
        } catch (IOException e) {
            counters.tapWriteError();
        }
    }

    /** {@code request} stays owned by the caller; the reply is released here whatever happens. */
    private void answerArp(TapDevice tap, ByteBuf request, ForwardingTable table) {
        ByteBuf reply = arp.reply(request, table, alloc);
        if (reply == null) {
            return;
        }
        try {
            tap.write(reply);
        } catch (IOException e) {
            counters.tapWriteError();
        } finally {
            reply.release();
        }
    }

    public VtepCounters counters() {
        return counters;
    }
}
