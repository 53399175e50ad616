package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArpResponderTest {

    private static final Ipv4Address T2 = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address T3 = Ipv4Address.parse("10.0.0.3");
    private static final Ipv4Address T5 = Ipv4Address.parse("10.0.0.5");
    private static final long MAC2 = MacAddress.fromIpv4(T2).value();
    private static final long MAC3 = MacAddress.fromIpv4(T3).value();

    private final VtepCounters counters = new VtepCounters();
    private final ArpResponder responder = new ArpResponder(counters);
    private final ForwardingTable table = new ForwardingTable(4096,
            List.of(Endpoint.local(T2), Endpoint.remote(T3, Ipv4Address.parse("198.18.0.2"))), 4789);

    @Test
    void answersForARemoteEndpointWithItsDerivedMac() {
        ByteBuf request = Frames.arpRequest(0, MAC2, T2.value(), T3.value());
        ByteBuf reply = responder.reply(request, table, PooledByteBufAllocator.DEFAULT);
        try {
            assertThat(reply.readableBytes()).isEqualTo(42);
            assertThat(Frames.readMac(reply, 0)).as("to the asker").isEqualTo(MAC2);
            assertThat(Frames.readMac(reply, 6)).as("from the target").isEqualTo(MAC3);
            assertThat(reply.getUnsignedShort(12)).isEqualTo(0x0806);
            assertThat(ArpPacket.isEthernetIpv4(reply, 14)).isTrue();
            assertThat(ArpPacket.opcode(reply, 14)).isEqualTo(ArpPacket.OP_REPLY);
            assertThat(ArpPacket.senderMac(reply, 14)).isEqualTo(MAC3);
            assertThat(ArpPacket.senderIp(reply, 14)).isEqualTo(T3.value());
            assertThat(ArpPacket.targetMac(reply, 14)).isEqualTo(MAC2);
            assertThat(ArpPacket.targetIp(reply, 14)).isEqualTo(T2.value());
            assertThat(request.readerIndex()).as("request untouched").isZero();
            assertThat(counters.arpReplies()).isEqualTo(1);
        } finally {
            reply.release();
            request.release();
        }
        assertThat(reply.refCnt()).isZero();
        assertThat(request.refCnt()).isZero();
    }

    @Test
    void unknownLocalGratuitousAndMalformedAreCountedNotAnswered() {
        assertNoReply(Frames.arpRequest(0, MAC2, T2.value(), T5.value()), table, DropReason.ARP_UNKNOWN_TARGET);
        assertNoReply(Frames.arpRequest(0, MAC2, T2.value(), T5.value()), null, DropReason.ARP_UNKNOWN_TARGET);
        assertNoReply(Frames.arpRequest(0, MAC3, T3.value(), T2.value()), table, DropReason.LOCAL_DESTINATION);
        assertNoReply(Frames.arpRequest(0, MAC2, T3.value(), T3.value()), table, DropReason.NOT_FLOODED);

        ByteBuf reply = Frames.arpRequest(0, MAC2, T2.value(), T3.value());
        reply.setShort(20, ArpPacket.OP_REPLY);
        assertNoReply(reply, table, DropReason.ARP_MALFORMED);
        ByteBuf wrongHardware = Frames.arpRequest(0, MAC2, T2.value(), T3.value());
        wrongHardware.setShort(14, 6);
        assertNoReply(wrongHardware, table, DropReason.ARP_MALFORMED);
        ByteBuf truncated = Frames.arpRequest(0, MAC2, T2.value(), T3.value());
        truncated.writerIndex(41);
        assertNoReply(truncated, table, DropReason.ARP_MALFORMED);
        ByteBuf groupSender = Frames.arpRequest(0, 0x0100_5e00_0001L, T2.value(), T3.value());
        assertNoReply(groupSender, table, DropReason.ARP_MALFORMED);
        assertThat(counters.arpReplies()).isZero();
    }

    private void assertNoReply(ByteBuf request, ForwardingTable in, DropReason reason) {
        long before = counters.drops(reason);
        try {
            assertThat(responder.reply(request, in, PooledByteBufAllocator.DEFAULT)).isNull();
            assertThat(counters.drops(reason)).isEqualTo(before + 1);
        } finally {
            request.release();
        }
    }
}
