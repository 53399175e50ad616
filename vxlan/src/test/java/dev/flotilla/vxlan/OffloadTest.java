package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TCP segmentation offload on the way out (TAP super-frame -> UDP GSO batch of VXLAN datagrams)
 * and coalescing on the way in (datagrams -> one GSO write to the TAP), checked byte by byte with
 * checksums computed the slow obvious way ({@link Frames#checksum}).
 */
class OffloadTest {

    private static final int VNI = 4096;
    private static final Ipv4Address NODE_A = Ipv4Address.parse("198.18.0.1");
    private static final Ipv4Address NODE_B = Ipv4Address.parse("198.18.0.2");
    private static final Ipv4Address T2 = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address T3 = Ipv4Address.parse("10.0.0.3");
    private static final long MAC2 = MacAddress.fromIpv4(T2).value();
    private static final long MAC3 = MacAddress.fromIpv4(T3).value();
    private static final int MSS = 1398;
    private static final int HEADERS = 66;
    private static final InetSocketAddress FROM_A = new InetSocketAddress(NODE_A.toInetAddress(), 4789);

    // Side A sends (TSO in, UDP GSO out); side B receives (datagrams in, GSO write to its TAP).
    private final VtepCounters countersA = new VtepCounters();
    private final VtepCounters countersB = new VtepCounters();
    private final ForwardingDb fdbA = new ForwardingDb(4789);
    private final ForwardingDb fdbB = new ForwardingDb(4789);
    private final PeerFilter peersB = new PeerFilter();
    private final VtepProtocol sideA = new VtepProtocol(fdbA, new PeerFilter(), countersA, PooledByteBufAllocator.DEFAULT);
    private final VtepProtocol sideB = new VtepProtocol(fdbB, peersB, countersB, PooledByteBufAllocator.DEFAULT);
    private final Fakes.VnetTap tapA = new Fakes.VnetTap();
    private final Fakes.VnetTap tapB = new Fakes.VnetTap();
    private final Fakes.Udp udp = new Fakes.Udp();
    private final TcpCoalescer rx = new TcpCoalescer(PooledByteBufAllocator.DEFAULT, countersB);

    @BeforeEach
    void network() {
        fdbA.setEndpoints(VNI, List.of(Endpoint.local(T2), Endpoint.remote(T3, NODE_B)));
        fdbB.setEndpoints(VNI, List.of(Endpoint.remote(T2, NODE_A), Endpoint.local(T3)));
        peersB.setPeers(List.of(NODE_A));
        sideA.attach(VNI, tapA);
        sideB.attach(VNI, tapB);
    }

    @AfterEach
    void release() {
        udp.drain();
        rx.release();
    }

    @Test
    void aSuperFrameLeavesAsMssSizedVxlanDatagramsInUdpGsoBatches() {
        byte[] payload = randomBytes(65_000, 1);
        sendSuperFrame(payload, 1000, Frames.TCP_ACK | Frames.TCP_PSH);

        int segments = (payload.length + MSS - 1) / MSS; // 47
        assertThat(udp.queued).hasSize(segments);
        int perSend = TcpSegmenter.MAX_UDP_PAYLOAD / (8 + HEADERS + MSS); // 44 per sendmsg
        assertThat(udp.segmentedSends).containsExactly(8 + HEADERS + MSS, 8 + HEADERS + MSS);
        assertThat(perSend).isEqualTo(44);
        ByteArrayOutputStream carried = new ByteArrayOutputStream();
        for (int i = 0; i < segments; i++) {
            Fakes.Sent sent = udp.queued.get(i);
            assertThat(sent.recipient().getAddress()).isEqualTo(NODE_B.toInetAddress());
            ByteBuf d = sent.payload();
            int at = d.readerIndex();
            int size = Math.min(MSS, payload.length - i * MSS);
            assertThat(d.readableBytes()).isEqualTo(8 + HEADERS + size);
            assertThat(d.getInt(at)).as("VXLAN flags").isEqualTo(0x0800_0000);
            assertThat(d.getInt(at + 4)).as("VNI + reserved").isEqualTo(VNI << 8);
            int eth = at + 8;
            assertThat(Frames.readMac(d, eth)).isEqualTo(MAC3);
            assertThat(Frames.readMac(d, eth + 6)).isEqualTo(MAC2);
            int ip = eth + 14;
            assertThat(d.getUnsignedShort(ip + 2)).as("IPv4 total length").isEqualTo(52 + size);
            assertThat(d.getUnsignedShort(ip + 4)).as("IPv4 id").isEqualTo(7 + i);
            assertThat(Frames.checksum(d, ip, 20, 0)).as("IPv4 header checksum verifies").isZero();
            int tcp = ip + 20;
            assertThat(d.getInt(tcp + 4)).as("seq").isEqualTo(1000 + i * MSS);
            assertThat(d.getInt(tcp + 8)).as("ack").isEqualTo(77);
            assertThat((int) d.getUnsignedByte(tcp + 13)).as("flags")
                    .isEqualTo(i == segments - 1 ? Frames.TCP_ACK | Frames.TCP_PSH : Frames.TCP_ACK);
            long pseudo = pseudo(T2.value(), T3.value(), 32 + size);
            assertThat(Frames.checksum(d, tcp, 32 + size, pseudo)).as("TCP checksum of segment %d verifies", i).isZero();
            byte[] chunk = new byte[size];
            d.getBytes(tcp + 32, chunk);
            carried.writeBytes(chunk);
        }
        assertThat(carried.toByteArray()).isEqualTo(payload);
        assertThat(countersA.txPackets()).isEqualTo(segments);
        assertThat(countersA.txSuperFrames()).isOne();
    }

    @Test
    void datagramsOfOneFlowReachTheTapAsOneGsoSuperFrame() {
        byte[] payload = randomBytes(65_000, 2);
        sendSuperFrame(payload, 5000, Frames.TCP_ACK | Frames.TCP_PSH);
        receiveAll();

        // 46 full segments fill the 64 KiB IPv4 limit; the 47th (short, PSH) comes on its own.
        assertThat(tapB.frames).hasSize(2);
        ByteBuf big = Unpooled.wrappedBuffer(tapB.frames.get(0));
        ByteBuf header = Unpooled.wrappedBuffer(tapB.headers.get(0));
        assertThat(VirtioNetHeader.flags(header, 0)).isEqualTo(VirtioNetHeader.F_NEEDS_CSUM);
        assertThat(VirtioNetHeader.gsoType(header, 0)).isEqualTo(VirtioNetHeader.GSO_TCPV4);
        assertThat(VirtioNetHeader.gsoSize(header, 0)).isEqualTo(MSS);
        assertThat(VirtioNetHeader.hdrLen(header, 0)).isEqualTo(HEADERS);
        assertThat(VirtioNetHeader.csumStart(header, 0)).isEqualTo(34);
        assertThat(VirtioNetHeader.csumOffset(header, 0)).isEqualTo(16);
        assertThat(big.readableBytes()).isEqualTo(HEADERS + 46 * MSS);
        assertThat(big.getUnsignedShort(14 + 2)).isEqualTo(big.readableBytes() - 14);
        assertThat(Frames.checksum(big, 14, 20, 0)).isZero();
        assertThat(big.getInt(34 + 4)).isEqualTo(5000);
        // The partial checksum is the pseudo-header sum: completing it must verify.
        assertThat(VtepProtocol.completeChecksum(big, 34, 16)).isTrue();
        assertThat(Frames.checksum(big, 34, big.readableBytes() - 34, pseudo(T2.value(), T3.value(),
                big.readableBytes() - 34))).isZero();

        ByteBuf last = Unpooled.wrappedBuffer(tapB.frames.get(1));
        assertThat(tapB.headers.get(1)[0]).as("single, verified: DATA_VALID").isEqualTo((byte) VirtioNetHeader.F_DATA_VALID);
        assertThat(tapB.headers.get(1)[1]).as("no GSO").isZero();
        assertThat((int) last.getUnsignedByte(34 + 13)).isEqualTo(Frames.TCP_ACK | Frames.TCP_PSH);

        ByteArrayOutputStream carried = new ByteArrayOutputStream();
        carried.writeBytes(java.util.Arrays.copyOfRange(tapB.frames.get(0), HEADERS, tapB.frames.get(0).length));
        carried.writeBytes(java.util.Arrays.copyOfRange(tapB.frames.get(1), HEADERS, tapB.frames.get(1).length));
        assertThat(carried.toByteArray()).isEqualTo(payload);
        assertThat(countersB.rxPackets()).isEqualTo(47);
        assertThat(countersB.rxSuperFrames()).isOne();
    }

    @Test
    void whatMustNotMergeIsWrittenAloneAndInOrder() {
        byte[] payload = randomBytes(MSS * 4, 3);
        sendSuperFrame(payload, 0, Frames.TCP_ACK);
        List<ByteBuf> datagrams = new ArrayList<>();
        for (Fakes.Sent sent : udp.queued) {
            datagrams.add(sent.payload());
        }
        // Corrupt segment 2's payload: its checksum no longer verifies.
        ByteBuf bad = datagrams.get(2);
        bad.setByte(bad.readerIndex() + 8 + HEADERS + 5, bad.getByte(bad.readerIndex() + 8 + HEADERS + 5) ^ 0x40);
        for (int i : new int[] {0, 1, 3, 2}) {
            sideB.fromUdp(datagrams.get(i).duplicate(), FROM_A, rx);
        }
        ByteBuf arp = Frames.arpRequest(8, MAC2, T2.value(), T3.value());
        VxlanHeader.encode(arp, VNI);
        sideB.fromUdp(arp, FROM_A, rx);
        arp.release();
        rx.flush();

        // 0+1 merge; 3 is out of order (alone, verified); 2 is corrupt (alone, no flags: the kernel
        // checks and drops it); ARP passes untouched.
        assertThat(tapB.frames).hasSize(4);
        assertThat(tapB.headers.get(0)[1]).isEqualTo((byte) VirtioNetHeader.GSO_TCPV4);
        assertThat(tapB.frames.get(0)).hasSize(HEADERS + 2 * MSS);
        assertThat(tapB.headers.get(1)[0]).isEqualTo((byte) VirtioNetHeader.F_DATA_VALID);
        assertThat(Unpooled.wrappedBuffer(tapB.frames.get(1)).getInt(34 + 4)).isEqualTo(3 * MSS);
        assertThat(tapB.headers.get(2)).containsOnly(0);
        assertThat(tapB.headers.get(3)).containsOnly(0);
        assertThat(Unpooled.wrappedBuffer(tapB.frames.get(3)).getUnsignedShort(12)).isEqualTo(0x0806);
    }

    @Test
    void aVlanTaggedSuperFrameIsSegmentedWithItsTag() {
        // A VLAN interface on the task's 1450 link has MTU 1446: MSS 1394, frames of at most 1464.
        int mss = MSS - 4;
        byte[] payload = randomBytes(5 * mss + 7, 10);
        ByteBuf untagged = Frames.tcpFrame(0, MAC3, MAC2, T2.value(), T3.value(), 40000, 5201, 100, 77,
                Frames.TCP_ACK | Frames.TCP_PSH, 7, payload, true);
        ByteBuf tagged = Unpooled.directBuffer(untagged.readableBytes() + 4);
        tagged.writeBytes(untagged, 0, 12).writeShort(0x8100).writeShort(100).writeBytes(untagged, 12,
                untagged.readableBytes() - 12);
        untagged.release();
        ByteBuf read = Frames.withVnetHeader(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, HEADERS + 4, mss,
                38, 16, tagged);
        tagged.release();
        sideA.fromTapVnet(VNI, tapA, read, udp);
        read.release();

        assertThat(countersA.drops(DropReason.BAD_VNET_HEADER)).isZero();
        assertThat(udp.queued).hasSize(6);
        for (int i = 0; i < 6; i++) {
            ByteBuf d = udp.queued.get(i).payload();
            int eth = d.readerIndex() + 8;
            int size = Math.min(mss, payload.length - i * mss);
            assertThat(d.readableBytes()).isEqualTo(8 + 4 + HEADERS + size);
            assertThat(d.getUnsignedShort(eth + 12)).isEqualTo(0x8100);
            assertThat(d.getUnsignedShort(eth + 14)).isEqualTo(100);
            int ip = eth + 18;
            assertThat(d.getUnsignedShort(ip + 2)).isEqualTo(52 + size);
            assertThat(Frames.checksum(d, ip, 20, 0)).isZero();
            assertThat(d.getInt(ip + 20 + 4)).isEqualTo(100 + i * mss);
            assertThat(Frames.checksum(d, ip + 20, 32 + size, pseudo(T2.value(), T3.value(), 32 + size))).isZero();
        }
        // Received, tagged frames are not coalesced (the super-frame layout assumes no tag): one write each.
        receiveAll();
        assertThat(tapB.frames).hasSize(6);
        assertThat(countersB.rxSuperFrames()).isZero();
    }

    @Test
    void tinySegmentsNeverStartASuperFrame() {
        byte[] payload = randomBytes(100 * 20, 9);
        for (int i = 0; i < 20; i++) {
            ByteBuf frame = Frames.tcpFrame(8, MAC3, MAC2, T2.value(), T3.value(), 40000, 5201, i * 100, 77,
                    Frames.TCP_ACK, i, java.util.Arrays.copyOfRange(payload, i * 100, i * 100 + 100), false);
            VxlanHeader.encode(frame, VNI);
            sideB.fromUdp(frame, FROM_A, rx);
            frame.release();
        }
        rx.flush();
        assertThat(tapB.frames).hasSize(20);
        assertThat(tapB.headers).allSatisfy(h -> assertThat(h[1]).as("no GSO").isZero());
        assertThat(countersB.rxSuperFrames()).isZero();
    }

    @Test
    void aSmallFrameWithAPartialChecksumLeavesCompleted() {
        byte[] payload = randomBytes(101, 4);
        ByteBuf frame = Frames.tcpFrame(0, MAC3, MAC2, T2.value(), T3.value(), 40000, 5201, 9, 77, Frames.TCP_ACK, 1,
                payload, true);
        ByteBuf read = Frames.withVnetHeader(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 34, 16, frame);
        frame.release();
        sideA.fromTapVnet(VNI, tapA, read, udp);
        read.release();
        assertThat(udp.queued).hasSize(1);
        ByteBuf d = udp.queued.get(0).payload();
        int tcp = d.readerIndex() + 8 + 34;
        assertThat(Frames.checksum(d, tcp, 32 + 101, pseudo(T2.value(), T3.value(), 32 + 101))).isZero();
        assertThat(udp.segmentedSends).isEmpty();
    }

    @Test
    void unusableVnetHeadersAreDroppedAndCounted() {
        ByteBuf tcp = Frames.tcpFrame(0, MAC3, MAC2, T2.value(), T3.value(), 1, 2, 3, 4, Frames.TCP_ACK, 5,
                randomBytes(3000, 5), true);
        ByteBuf small = Frames.tcpFrame(0, MAC3, MAC2, T2.value(), T3.value(), 1, 2, 3, 4, Frames.TCP_ACK, 5,
                randomBytes(200, 6), true);
        ByteBuf arp = Frames.arpRequest(0, MAC2, T2.value(), T3.value());
        List<ByteBuf> reads = List.of(
                Frames.withVnetHeader(0, VirtioNetHeader.GSO_UDP_L4, HEADERS, MSS, 34, 6, tcp),
                Frames.withVnetHeader(0, VirtioNetHeader.GSO_TCPV6, HEADERS, MSS, 34, 16, tcp),
                Frames.withVnetHeader(0, VirtioNetHeader.GSO_UDP, 0, MSS, 0, 0, tcp),
                Frames.withVnetHeader(0x04, 0, 0, 0, 0, 0, tcp),                               // RSC_INFO: not ours
                Frames.withVnetHeader(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 260, 16, small),   // past the end
                Frames.withVnetHeader(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 34, 60000, small),
                Frames.withVnetHeader(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 2, 16, small),     // inside Ethernet
                Frames.withVnetHeader(1, VirtioNetHeader.GSO_TCPV4, HEADERS, 0, 34, 16, tcp),   // gso_size 0
                Frames.withVnetHeader(1, VirtioNetHeader.GSO_TCPV4, HEADERS, 1, 34, 16, tcp),   // 3000 segments
                Frames.withVnetHeader(1, VirtioNetHeader.GSO_TCPV4, HEADERS, MSS, 34, 16, arp));
        for (ByteBuf read : reads) {
            long before = countersA.drops(DropReason.BAD_VNET_HEADER) + countersA.drops(DropReason.NOT_FLOODED);
            sideA.fromTapVnet(VNI, tapA, read, udp);
            assertThat(countersA.drops(DropReason.BAD_VNET_HEADER) + countersA.drops(DropReason.NOT_FLOODED))
                    .as("read %d dropped", reads.indexOf(read)).isEqualTo(before + 1);
        }
        assertThat(countersA.drops(DropReason.BAD_VNET_HEADER)).isEqualTo(reads.size() - 1);
        assertThat(countersA.drops(DropReason.NOT_FLOODED)).as("GSO to broadcast").isOne();
        ByteBuf jumbo = Frames.withVnetHeader(1, VirtioNetHeader.GSO_TCPV4, HEADERS, 9000, 34, 16, tcp);
        sideA.fromTapVnet(VNI, tapA, jumbo, udp);
        assertThat(countersA.drops(DropReason.OVERSIZE)).as("segments above the underlay MTU").isOne();
        ByteBuf runt = Unpooled.directBuffer(20).writeZero(20);
        sideA.fromTapVnet(VNI, tapA, runt, udp);
        assertThat(countersA.drops(DropReason.SHORT)).isOne();
        assertThat(udp.queued).isEmpty();
        for (ByteBuf read : reads) {
            assertThat(read.refCnt()).as("the caller keeps its read buffer").isOne();
            read.release();
        }
        jumbo.release();
        runt.release();
        tcp.release();
        small.release();
        arp.release();
    }

    @Test
    void randomVnetHeadersAndFramesNeverThrowNorLeak() {
        long[] seeds = {0x5eedL, new Random().nextLong()};
        for (long seed : seeds) {
            fuzz(new Random(seed), 3_000);
        }
    }

    private void fuzz(Random random, int rounds) {
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        for (int i = 0; i < rounds; i++) {
            ByteBuf frame;
            if (random.nextBoolean()) {
                frame = Frames.tcpFrame(0, random.nextBoolean() ? MAC3 : random.nextLong() & 0xffff_ffff_ffffL, MAC2,
                        T2.value(), T3.value(), 1, 2, random.nextInt(), 4,
                        random.nextBoolean() ? Frames.TCP_ACK : random.nextInt(256), 5,
                        randomBytes(random.nextInt(4000), random.nextLong()), random.nextBoolean());
                for (int flips = random.nextInt(3); flips > 0; flips--) {
                    int at = random.nextInt(frame.readableBytes());
                    frame.setByte(at, random.nextInt(256));
                }
            } else {
                int length = random.nextInt(200);
                frame = alloc.directBuffer(length).writeBytes(randomBytes(length, random.nextLong()));
            }
            int flags = random.nextInt(4) == 0 ? random.nextInt(256) : random.nextInt(2);
            int gsoType = random.nextInt(4) == 0 ? random.nextInt(256) : random.nextInt(2);
            int gsoSize = random.nextInt(4) == 0 ? random.nextInt(65536) : 1 + random.nextInt(MSS);
            int csumStart = random.nextInt(4) == 0 ? random.nextInt(65536) : 34;
            int csumOffset = random.nextInt(4) == 0 ? random.nextInt(65536) : 16;
            ByteBuf read = Frames.withVnetHeader(flags, gsoType, random.nextInt(65536), gsoSize, csumStart, csumOffset,
                    frame);
            if (random.nextInt(8) == 0) {
                read.writerIndex(random.nextInt(read.writerIndex() + 1)); // truncated read
            }
            sideA.fromTapVnet(VNI, tapA, read, udp);
            assertThat(read.refCnt()).isOne();
            read.release();

            // Whatever went out, and the raw frame too, goes through the receive side.
            for (Fakes.Sent sent : udp.queued) {
                sideB.fromUdp(sent.payload().duplicate(), FROM_A, rx);
            }
            ByteBuf raw = alloc.directBuffer(8 + frame.readableBytes());
            raw.writeInt(0x0800_0000).writeInt(VNI << 8).writeBytes(frame, frame.readerIndex(), frame.readableBytes());
            sideB.fromUdp(raw, FROM_A, rx);
            raw.release();
            if (random.nextInt(4) == 0) {
                rx.flush();
            }
            udp.drain();
            frame.release();
            tapA.clear();
            tapB.clear();
        }
        rx.flush();
        assertThat(countersA.txPackets() + countersA.snapshot().get("vxlan.drop.bad_vnet_header")).isPositive();
    }

    /** Reads a super-frame with payload from tap A as the kernel hands it over (partial checksum, TSO header). */
    private void sendSuperFrame(byte[] payload, int seq, int flags) {
        ByteBuf frame = Frames.tcpFrame(0, MAC3, MAC2, T2.value(), T3.value(), 40000, 5201, seq, 77, flags, 7,
                payload, true);
        ByteBuf read = Frames.withVnetHeader(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, HEADERS, MSS,
                34, 16, frame);
        frame.release();
        sideA.fromTapVnet(VNI, tapA, read, udp);
        assertThat(read.refCnt()).isOne();
        read.release();
    }

    private void receiveAll() {
        for (Fakes.Sent sent : udp.queued) {
            sideB.fromUdp(sent.payload().duplicate(), FROM_A, rx);
        }
        rx.flush();
    }

    private static long pseudo(int src, int dst, int tcpLength) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcpLength;
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
