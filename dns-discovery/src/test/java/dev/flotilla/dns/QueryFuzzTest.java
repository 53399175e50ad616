package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.packet;
import static dev.flotilla.dns.DnsTestSupport.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.NoLeaksExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Type;

/**
 * Random and mutated datagrams through the real UDP and TCP pipelines: no exception may escape
 * (EmbeddedChannel rethrows any), every datagram is counted, every buffer is released.
 */
@ExtendWith(NoLeaksExtension.class)
class QueryFuzzTest {

    private static final int RANDOM_BUFFERS = 50_000;
    private static final int MUTATED_QUERIES = 20_000;

    private final RecordingForwarder forwarder = new RecordingForwarder();
    private final EmbeddedDnsServer server = new EmbeddedDnsServer(DnsServerOptions.defaults(), new DnsCounters(), forwarder);

    QueryFuzzTest() {
        forwarder.failImmediately = true;
        server.publish(RecordTable.builder().vipService("n", "server", ip("10.0.0.2"))
                .task("n", "server", "server.1", ip("10.0.0.3")).publishedPort("n", "server", 80, "tcp").build());
    }

    @Test
    void randomAndMutatedDatagramsNeverEscapeOrLeak() {
        EmbeddedChannel channel = new EmbeddedChannel();
        server.initUdp(channel.pipeline(), SandboxScope.of("n"));
        Random random = new Random(20240611L);
        List<byte[]> seeds = seeds();
        int answered = 0;
        for (int i = 0; i < RANDOM_BUFFERS + MUTATED_QUERIES; i++) {
            byte[] wire;
            if (i < RANDOM_BUFFERS) {
                wire = new byte[random.nextInt(600)];
                random.nextBytes(wire);
                if (wire.length > 2 && random.nextBoolean()) {
                    wire[2] &= 0x7f; // keep QR clear half the time, so most get past the header check
                }
            } else {
                byte[] seed = seeds.get(random.nextInt(seeds.size()));
                wire = seed.clone();
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    wire[random.nextInt(wire.length)] ^= (byte) (1 << random.nextInt(8));
                }
                if (random.nextInt(8) == 0) {
                    wire = Arrays.copyOf(wire, random.nextInt(wire.length));
                }
            }
            DatagramPacket in = packet(wire);
            channel.writeInbound(in);
            assertThat(in.refCnt()).isZero();
            for (Object out; (out = channel.readOutbound()) != null; answered++) {
                DatagramPacket reply = (DatagramPacket) out;
                assertThat(reply.content().readableBytes()).isBetween(12, 4096);
                reply.release();
            }
        }
        DnsCounters counters = server.counters();
        assertThat(counters.queries() + counters.drops()).isEqualTo(RANDOM_BUFFERS + MUTATED_QUERIES);
        assertThat((long) answered).isEqualTo(counters.queries());
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void randomTcpStreamsNeverEscapeOrLeak() {
        Random random = new Random(7L);
        List<byte[]> seeds = seeds();
        for (int connection = 0; connection < 2_000; connection++) {
            EmbeddedChannel tcp = new EmbeddedChannel();
            server.initTcp(tcp.pipeline(), SandboxScope.of("n"));
            List<ByteBuf> written = new ArrayList<>();
            for (int frame = 0; frame < 5 && tcp.isOpen(); frame++) {
                byte[] body = seeds.get(random.nextInt(seeds.size())).clone();
                body[random.nextInt(body.length)] ^= (byte) random.nextInt(256);
                ByteBuf in = Unpooled.buffer().writeShort(random.nextInt(10) == 0 ? random.nextInt(0x10000) : body.length)
                        .writeBytes(body);
                written.add(in);
                tcp.writeInbound(in); // a partial frame stays in the decoder's cumulation until close
            }
            for (Object out; (out = tcp.readOutbound()) != null; ) {
                ((ByteBuf) out).release();
            }
            tcp.finishAndReleaseAll();
            assertThat(written).allSatisfy(in -> assertThat(in.refCnt()).isZero());
        }
    }

    private static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(query("server", Type.A).toWire());
        seeds.add(query("_80._tcp.server", Type.SRV).toWire());
        seeds.add(query("3.0.0.10.in-addr.arpa", Type.PTR).toWire());
        seeds.add(query("www.example.com", Type.AAAA).toWire());
        seeds.add(DnsTestSupport.ednsQuery("tasks.server", Type.A, 4096).toWire());
        return seeds;
    }
}
