package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.addresses;
import static dev.flotilla.dns.DnsTestSupport.ask;
import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.packet;
import static dev.flotilla.dns.DnsTestSupport.query;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The codec-free answer to plain A queries says exactly what the codec path says. */
@ExtendWith(NoLeaksExtension.class)
class FastAnswerHandlerTest {

    private static final SandboxScope FRONT = SandboxScope.of("front");

    private final RecordingForwarder forwarder = new RecordingForwarder();
    private final EmbeddedDnsServer server = new EmbeddedDnsServer(DnsServerOptions.defaults(), new DnsCounters(), forwarder);
    private final EmbeddedChannel fast = new EmbeddedChannel();
    private final EmbeddedChannel codec = new EmbeddedChannel();

    FastAnswerHandlerTest() {
        server.publish(RecordTable.builder()
                .vipService("front", "server", ip("10.0.0.2"))
                .task("front", "server", "server.1.abc", ip("10.0.0.3"))
                .task("front", "server", "server.2.def", ip("10.0.0.4"))
                .dnsrrService("front", "cache")
                .task("front", "cache", "cache.1.x", ip("10.0.0.9"))
                .task("front", "cache", "cache.2.y", ip("10.0.0.10"))
                .vipService("back", "db", ip("10.1.0.2"))
                .build());
        server.initUdp(fast.pipeline(), FRONT);
        codec.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                new DnsQueryHandler(server, FRONT, true));
    }

    @AfterEach
    void nothingLeft() {
        assertThat(fast.finish()).isFalse();
        assertThat(codec.finish()).isFalse();
        forwarder.releaseAll();
    }

    @Test
    void plainAQueriesGetTheCodecPathsAnswer() {
        for (String name : List.of("server", "SERVER", "tasks.server", "cache", "server.1.abc", "server.")) {
            Message q = query(name, Type.A);
            q.getHeader().unsetFlag(Flags.RD);
            Message a = ask(fast, q);
            Message b = ask(codec, q);
            assertThat(a.getHeader().getID()).isEqualTo(b.getHeader().getID());
            assertThat(a.getHeader().printFlags()).as(name).isEqualTo(b.getHeader().printFlags());
            assertThat(a.getRcode()).isEqualTo(b.getRcode());
            assertThat(a.getQuestion()).isEqualTo(b.getQuestion());
            assertThat(addresses(a, Section.ANSWER)).as(name).containsExactlyInAnyOrderElementsOf(addresses(b, Section.ANSWER));
            assertThat(a.getSection(Section.ANSWER)).extracting(Record::getTTL).containsOnly(5L);
            assertThat(a.getSection(Section.ANSWER)).extracting(Record::getName).containsOnly(q.getQuestion().getName());
        }
        Message rd = ask(fast, query("server", Type.A));
        assertThat(rd.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(rd.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(rd.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(server.counters().answeredLocally()).isEqualTo(13);
    }

    @Test
    void everythingElseReachesTheCodecPath() {
        // Out of scope (NXDOMAIN), another type (AAAA: NODATA), EDNS: all answered by the codec path.
        assertThat(ask(fast, query("db", Type.A)).getRcode()).isEqualTo(org.xbill.DNS.Rcode.NXDOMAIN);
        Message aaaa = ask(fast, query("server", Type.AAAA));
        assertThat(aaaa.getRcode()).isZero();
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
        Message edns = ask(fast, DnsTestSupport.ednsQuery("server", Type.A, 1232));
        assertThat(edns.getOPT()).isNotNull();
        assertThat(addresses(edns, Section.ANSWER)).containsExactly("10.0.0.2");
    }

    @Test
    void randomBytesNeverBreakTheSocket() {
        Random random = new Random(7);
        for (int i = 0; i < 5000; i++) {
            byte[] wire = new byte[random.nextInt(64)];
            random.nextBytes(wire);
            if (random.nextBoolean() && wire.length >= 12) {
                wire[4] = 0; wire[5] = 1; wire[6] = 0; wire[7] = 0; wire[8] = 0; wire[9] = 0; wire[10] = 0; wire[11] = 0;
                wire[2] &= 0x01;
            }
            fast.writeInbound(packet(wire));
            for (Object out; (out = fast.readOutbound()) != null; ) {
                ((DatagramPacket) out).release();
            }
        }
        assertThat(fast.isActive()).isTrue();
        assertThat(ask(fast, query("server", Type.A)).getRcode()).isZero();
    }
}
