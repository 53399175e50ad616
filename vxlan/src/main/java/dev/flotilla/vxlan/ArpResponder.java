package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * ARP suppression: answers, on the TAP, ARP requests for the network's remote endpoints, so ARP
 * never crosses the underlay. Requests for anything else are dropped and counted, never flooded.
 * Stateless apart from its counters; safe to use from any thread. Never throws on frame content:
 * a malformed frame is a counted drop.
 */
public final class ArpResponder {

    /** Ethernet header + ARP. Shorter than the 60-byte minimum on a wire, which a TAP does not need. */
    static final int REPLY_LENGTH = EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH;

    private final VtepCounters counters;

    public ArpResponder(VtepCounters counters) {
        this.counters = counters;
    }

    /**
     * Builds the reply to {@code request}.
     *
     * @param request an Ethernet frame (its readable bytes) whose EtherType is ARP; read only, its
     *     indexes and ownership stay with the caller
     * @param table the network's current table, or {@code null} when none is set
     * @param alloc where the reply's buffer comes from
     * @return the reply frame, which the caller now owns and must release; or {@code null} when
     *     there is nothing to answer (the reason is counted)
     */
    public ByteBuf reply(ByteBuf request, ForwardingTable table, ByteBufAllocator alloc) {
        int at = request.readerIndex() + EthernetFrame.HEADER_LENGTH;
        if (request.readableBytes() < EthernetFrame.HEADER_LENGTH
                || EthernetFrame.etherType(request) != EthernetFrame.ETHERTYPE_ARP
                || !ArpPacket.isEthernetIpv4(request, at)
                || ArpPacket.opcode(request, at) != ArpPacket.OP_REQUEST) {
            counters.drop(DropReason.ARP_MALFORMED);
            return null;
        }
        long senderMac = ArpPacket.senderMac(request, at);
        int senderIp = ArpPacket.senderIp(request, at);
        int targetIp = ArpPacket.targetIp(request, at);
        if (EthernetFrame.isGroup(senderMac)) {
            counters.drop(DropReason.ARP_MALFORMED); // we would answer to a group address
            return null;
        }
        if (senderIp == targetIp) {
            counters.drop(DropReason.NOT_FLOODED); // gratuitous ARP: an announcement, nothing to answer
            return null;
        }
        ForwardingTable.Entry entry = table == null ? null : table.byIp(targetIp);
        if (entry == null) {
            counters.drop(DropReason.ARP_UNKNOWN_TARGET);
            return null;
        }
        if (entry.isLocal()) {
            counters.drop(DropReason.LOCAL_DESTINATION); // the endpoint is on our bridge and answers itself
            return null;
        }
        long targetMac = entry.endpoint().mac().value();
        ByteBuf reply = alloc.directBuffer(REPLY_LENGTH, REPLY_LENGTH);
        // Only fixed-size writes into a buffer of exactly that size follow: nothing can throw
        // between the allocation and the hand-over, so no release-on-failure path is needed.
        reply.writeShort((int) (senderMac >>> 32)).writeInt((int) senderMac);
        reply.writeShort((int) (targetMac >>> 32)).writeInt((int) targetMac);
        reply.writeShort(EthernetFrame.ETHERTYPE_ARP);
        ArpPacket.write(reply, ArpPacket.OP_REPLY, targetMac, targetIp, senderMac, senderIp);
        counters.arpReplied();
        return reply;
    }
}
