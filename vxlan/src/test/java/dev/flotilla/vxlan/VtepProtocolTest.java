package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The protocol between fake device and fake socket: everything but the kernel. */
class VtepProtocolTest {

    private static final int VNI = 4096;
    private static final Ipv4Address NODE_B = Ipv4Address.parse("198.18.0.2");
    private static final Ipv4Address STRANGER = Ipv4Address.parse("198.18.0.99");
    private static final Ipv4Address T2 = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address T3 = Ipv4Address.parse("10.0.0.3");
    private static final long MAC2 = MacAddress.fromIpv4(T2).value();
    private static final long MAC3 = MacAddress.fromIpv4(T3).value();

    private final VtepCounters counters = new VtepCounters();
    private final ForwardingDb fdb = new ForwardingDb(4789);
    private final PeerFilter peers = new PeerFilter();
    private final VtepProtocol protocol = new VtepProtocol(fdb, peers, counters, PooledByteBufAllocator.DEFAULT);
    private final Fakes.Tap tap = new Fakes.Tap();
    private final Fakes.Udp udp = new Fakes.Udp();

    @BeforeEach
    void network() {
        fdb.setEndpoints(VNI, List.of(Endpoint.local(T2), Endpoint.remote(T3, NODE_B)));
        peers.setPeers(List.of(NODE_B));
        protocol.attach(VNI, tap);
    }

    @AfterEach
    void nothingLeftQueued() {
        udp.drain();
    }

    @Test
    void unicastToARemoteEndpointIsEncapsulatedToItsVtep() {
        ByteBuf frame = Frames.ipv4Frame(VxlanHeader.LENGTH, MAC3, MAC2, 100);
        protocol.fromTap(VNI, tap, frame, udp);

        assertThat(udp.queued).hasSize(1);
        Fakes.Sent sent = udp.queued.get(0);
        assertThat(sent.payload()).as("encapsulated in place, no copy").isSameAs(frame);
        assertThat(sent.recipient()).isEqualTo(new InetSocketAddress(NODE_B.toInetAddress(), 4789));
        assertThat(VxlanHeader.validate(sent.payload())).isNull();
        assertThat(VxlanHeader.vni(sent.payload())).isEqualTo(VNI);
        assertThat(Frames.readMac(sent.payload(), VxlanHeader.LENGTH)).isEqualTo(MAC3);
        assertThat(counters.txPackets()).isEqualTo(1);
        assertThat(counters.txBytes()).isEqualTo(114);
        udp.drain();
        assertThat(frame.refCnt()).isZero();
    }

    @Test
    void framesThatMustNotCrossTheUnderlayAreDroppedAndReleased() {
        ByteBuf unknown = Frames.ipv4Frame(8, 0x0242_0a00_0063L, MAC2, 10);
        ByteBuf local = Frames.ipv4Frame(8, MAC2, MAC3, 10);
        ByteBuf multicast = Frames.ipv4Frame(8, 0x3333_0000_0001L, MAC2, 10);
        ByteBuf runt = Unpooled.directBuffer(20).writerIndex(18).readerIndex(8);
        ByteBuf otherVni = Frames.ipv4Frame(8, MAC3, MAC2, 10);

        protocol.fromTap(VNI, tap, unknown, udp);
        protocol.fromTap(VNI, tap, local, udp);
        protocol.fromTap(VNI, tap, multicast, udp);
        protocol.fromTap(VNI, tap, runt, udp);
        protocol.fromTap(4097, tap, otherVni, udp);

        assertThat(udp.queued).isEmpty();
        assertThat(counters.drops(DropReason.NO_FDB_ENTRY)).isEqualTo(2);
        assertThat(counters.drops(DropReason.LOCAL_DESTINATION)).isEqualTo(1);
        assertThat(counters.drops(DropReason.NOT_FLOODED)).isEqualTo(1);
        assertThat(counters.drops(DropReason.SHORT)).isEqualTo(1);
        for (ByteBuf buf : List.of(unknown, local, multicast, runt, otherVni)) {
            assertThat(buf.refCnt()).isZero();
        }
    }

    @Test
    void busyUnderlayDropsInsteadOfQueueing() {
        udp.writable = false;
        ByteBuf frame = Frames.ipv4Frame(8, MAC3, MAC2, 10);
        protocol.fromTap(VNI, tap, frame, udp);
        assertThat(udp.queued).isEmpty();
        assertThat(counters.drops(DropReason.UNDERLAY_BUSY)).isEqualTo(1);
        assertThat(frame.refCnt()).isZero();
    }

    @Test
    void broadcastArpIsAnsweredOnTheTapNotFlooded() {
        ByteBuf request = Frames.arpRequest(8, MAC2, T2.value(), T3.value());
        protocol.fromTap(VNI, tap, request, udp);

        assertThat(udp.queued).isEmpty();
        assertThat(tap.written).hasSize(1);
        ByteBuf reply = Unpooled.wrappedBuffer(tap.written.get(0));
        assertThat(Frames.readMac(reply, 0)).isEqualTo(MAC2);
        assertThat(ArpPacket.senderMac(reply, 14)).isEqualTo(MAC3);
        assertThat(request.refCnt()).isZero();

        tap.failWrites = true;
        protocol.fromTap(VNI, tap, Frames.arpRequest(8, MAC2, T2.value(), T3.value()), udp);
        assertThat(counters.tapWriteErrors()).isEqualTo(1);
    }

    @Test
    void receiveDecapsulatesFromPeersIntoTheVnisTap() {
        ByteBuf packet = encapsulated(VNI, MAC2, MAC3, 64);
        try {
            protocol.fromUdp(packet, new InetSocketAddress(NODE_B.toInetAddress(), 4789));
        } finally {
            packet.release();
        }
        assertThat(tap.written).hasSize(1);
        assertThat(tap.written.get(0)).hasSize(14 + 64);
        assertThat(Frames.readMac(Unpooled.wrappedBuffer(tap.written.get(0)), 0)).isEqualTo(MAC2);
        assertThat(counters.rxPackets()).isEqualTo(1);
        assertThat(counters.rxBytes()).isEqualTo(78);
    }

    @Test
    void receiveDropsStrangersUnknownVnisAndBadHeaders() {
        InetSocketAddress fromB = new InetSocketAddress(NODE_B.toInetAddress(), 4789);
        receive(encapsulated(VNI, MAC2, MAC3, 10), new InetSocketAddress(STRANGER.toInetAddress(), 4789));
        receive(encapsulated(4097, MAC2, MAC3, 10), fromB);
        ByteBuf badFlags = encapsulated(VNI, MAC2, MAC3, 10);
        badFlags.setByte(0, 0x0c);
        receive(badFlags, fromB);
        receive(Unpooled.directBuffer(8).writeLong(0x0800_0000_0010_0000L), fromB);

        assertThat(tap.written).isEmpty();
        assertThat(counters.drops(DropReason.NOT_A_PEER)).isEqualTo(1);
        assertThat(counters.drops(DropReason.UNKNOWN_VNI)).isEqualTo(1);
        assertThat(counters.drops(DropReason.BAD_FLAGS)).isEqualTo(1);
        assertThat(counters.drops(DropReason.SHORT)).isEqualTo(1);

        assertThat(protocol.detach(VNI)).isSameAs(tap);
        receive(encapsulated(VNI, MAC2, MAC3, 10), fromB);
        assertThat(counters.drops(DropReason.UNKNOWN_VNI)).isEqualTo(2);
    }

    private void receive(ByteBuf packet, InetSocketAddress sender) {
        try {
            protocol.fromUdp(packet, sender);
        } finally {
            packet.release();
        }
        assertThat(packet.refCnt()).isZero();
    }

    private static ByteBuf encapsulated(int vni, long dst, long src, int payload) {
        ByteBuf packet = Frames.ipv4Frame(VxlanHeader.LENGTH, dst, src, payload);
        VxlanHeader.encode(packet, vni);
        return packet;
    }
}
