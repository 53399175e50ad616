package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random bytes into every parser: nothing throws, every buffer ends released. Leaks are asserted
 * on each buffer (refCnt), not left to the paranoid detector's log lines. Some inputs are nudged
 * towards validity (right flags, right EtherType) so the deeper branches get exercised too.
 */
class FuzzTest {

    /** Rounds for the fixed seeds; random seeds run a quarter each (paranoid leak tracking is slow). */
    private static final int ROUNDS = 100_000;
    private static final int VNI = 4096;
    private static final Ipv4Address NODE_B = Ipv4Address.parse("198.18.0.2");

    private static final long FIXED_SEED = 0x5eedL;

    static List<Long> seeds() {
        Random fresh = new Random();
        return List.of(FIXED_SEED, fresh.nextLong(), fresh.nextLong(), fresh.nextLong());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomBytesNeverThrowNorLeak(long seed) {
        Random random = new Random(seed);
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        VtepCounters counters = new VtepCounters();
        ForwardingDb fdb = new ForwardingDb(4789);
        fdb.setEndpoints(VNI, List.of(Endpoint.local(Ipv4Address.parse("10.0.0.2")),
                Endpoint.remote(Ipv4Address.parse("10.0.0.3"), NODE_B)));
        PeerFilter peers = new PeerFilter();
        peers.setPeers(List.of(NODE_B));
        VtepProtocol protocol = new VtepProtocol(fdb, peers, counters, alloc);
        Fakes.Tap tap = new Fakes.Tap();
        Fakes.Udp udp = new Fakes.Udp();
        protocol.attach(VNI, tap);
        ArpResponder responder = new ArpResponder(counters);
        InetSocketAddress fromB = new InetSocketAddress(NODE_B.toInetAddress(), 4789);
        byte[] bytes = new byte[2000];

        int rounds = seed == FIXED_SEED ? ROUNDS : ROUNDS / 4;
        for (int i = 0; i < rounds; i++) {
            int length = random.nextInt(2001);
            random.nextBytes(bytes);
            nudge(bytes, length, random);

            ByteBuf packet = alloc.directBuffer(length + 8).writerIndex(8).readerIndex(8).writeBytes(bytes, 0, length);
            try {
                if (VxlanHeader.validate(packet) == null) {
                    assertThat(VxlanHeader.vni(packet)).isBetween(0, VxlanHeader.MAX_VNI);
                }
                protocol.fromUdp(packet, fromB);
                ByteBuf reply = responder.reply(packet, fdb.table(VNI), alloc);
                if (reply != null) {
                    reply.release();
                }
            } finally {
                packet.release();
            }
            assertThat(packet.refCnt()).isZero();

            ByteBuf frame = alloc.directBuffer(length + 8).writerIndex(8).readerIndex(8).writeBytes(bytes, 0, length);
            protocol.fromTap(VNI, tap, frame, udp); // takes ownership
            udp.drain();
            assertThat(frame.refCnt()).isZero();
            tap.written.clear();
        }
        assertThat(counters.snapshot().values().stream().mapToLong(Long::longValue).sum()).isPositive();
    }

    /** Makes a share of inputs look like VXLAN or ARP so the parsers go past their first check. */
    private static void nudge(byte[] bytes, int length, Random random) {
        int shape = random.nextInt(4);
        if (shape == 1 && length >= 8) {
            bytes[0] = 0x08;
            bytes[1] = bytes[2] = bytes[3] = 0;
            bytes[4] = 0;
            bytes[5] = 0x10;
            bytes[6] = 0;
            bytes[7] = 0;
        } else if (shape == 2 && length >= 22) {
            bytes[0] = (byte) 0xff;              // broadcast dst
            bytes[12] = 0x08;
            bytes[13] = 0x06;                    // ARP
            bytes[14] = 0;
            bytes[15] = 1;
            bytes[16] = 0x08;
            bytes[17] = 0;
            bytes[18] = 6;
            bytes[19] = 4;
            bytes[20] = 0;
            bytes[21] = (byte) random.nextInt(3);
            if (length >= 42 && random.nextBoolean()) {
                bytes[38] = 10;
                bytes[39] = 0;
                bytes[40] = 0;
                bytes[41] = (byte) random.nextInt(5);
            }
        } else if (shape == 3 && length >= 14) {
            System.arraycopy(new byte[] {2, 0x42, 10, 0, 0, (byte) (2 + random.nextInt(3))}, 0, bytes, 0, 6);
        }
    }
}
