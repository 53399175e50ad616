package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.addresses;
import static dev.flotilla.dns.DnsTestSupport.ask;
import static dev.flotilla.dns.DnsTestSupport.ednsQuery;
import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.packet;
import static dev.flotilla.dns.DnsTestSupport.query;
import static dev.flotilla.dns.DnsTestSupport.readUdp;
import static dev.flotilla.dns.DnsTestSupport.udpSize;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.NoLeaksExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

@ExtendWith(NoLeaksExtension.class)
class DnsQueryHandlerTest {

    private static final SandboxScope FRONT = SandboxScope.of("front");
    /** Tasks of service "big": 25 bytes per answer, so over 512 and under 4096. */
    private static final int BIG = 120;

    private final RecordingForwarder forwarder = new RecordingForwarder();
    private final EmbeddedDnsServer server = new EmbeddedDnsServer(DnsServerOptions.defaults(), new DnsCounters(), forwarder);
    private final DnsCounters counters = server.counters();
    private EmbeddedChannel channel = udpChannel(FRONT);

    DnsQueryHandlerTest() {
        RecordTable.Builder table = RecordTable.builder()
                .vipService("front", "server", ip("10.0.0.2"))
                .task("front", "server", "server.1.abc", ip("10.0.0.3"))
                .task("front", "server", "server.2.def", ip("10.0.0.4"))
                .dnsrrService("front", "cache")
                .task("front", "cache", "cache.1.x", ip("10.0.0.9"))
                .task("front", "cache", "cache.2.y", ip("10.0.0.10"))
                .container("front", "standalone", ip("10.0.0.50"))
                .alias("front", "web", ip("10.0.0.3"))
                .publishedPort("front", "server", 8080, "tcp")
                .vipService("back", "db", ip("10.1.0.2"))
                .dnsrrService("front", "big");
        for (int i = 0; i < BIG; i++) {
            table.task("front", "big", "big." + i, ip("10.0.2." + i));
        }
        server.publish(table.build());
    }

    private EmbeddedChannel udpChannel(SandboxScope scope) {
        EmbeddedChannel ch = new EmbeddedChannel();
        server.initUdp(ch.pipeline(), scope);
        return ch;
    }

    @AfterEach
    void everythingAnsweredAndReleased() {
        assertThat(channel.finish()).as("nothing left unread").isFalse();
        forwarder.releaseAll();
    }

    @Test
    void serviceAnswersItsVipWithTheConfiguredTtlAndAuthority() {
        Message answer = ask(channel, query("server", Type.A));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(addresses(answer, Section.ANSWER)).containsExactly("10.0.0.2");
        assertThat(answer.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(5);
        assertThat(counters.answeredLocally()).isEqualTo(1);
        assertThat(forwarder.forwarded).isEmpty();
    }

    @Test
    void ttlIsConfigurable() {
        EmbeddedDnsServer slow = new EmbeddedDnsServer(DnsServerOptions.defaults().withTtlSeconds(42), new DnsCounters(),
                forwarder);
        slow.publish(server.table());
        EmbeddedChannel ch = new EmbeddedChannel();
        slow.initUdp(ch.pipeline(), FRONT);
        assertThat(ask(ch, query("server", Type.A)).getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(42);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void tasksDnsrrContainersAndAliases() {
        assertThat(addresses(ask(channel, query("tasks.server", Type.A)), Section.ANSWER))
                .containsExactly("10.0.0.3", "10.0.0.4");
        assertThat(addresses(ask(channel, query("cache", Type.A)), Section.ANSWER)).containsExactly("10.0.0.10", "10.0.0.9");
        assertThat(addresses(ask(channel, query("server.1.abc", Type.A)), Section.ANSWER)).containsExactly("10.0.0.3");
        assertThat(addresses(ask(channel, query("standalone", Type.A)), Section.ANSWER)).containsExactly("10.0.0.50");
        assertThat(addresses(ask(channel, query("web", Type.A)), Section.ANSWER)).containsExactly("10.0.0.3");
    }

    @Test
    void answersInTheQuestionsCase() {
        Message answer = ask(channel, query("SeRvEr", Type.A));
        Record record = answer.getSection(Section.ANSWER).get(0);
        assertThat(record.getName().toString()).isEqualTo("SeRvEr.");
        assertThat(answer.getQuestion().getName().toString()).isEqualTo("SeRvEr.");
    }

    @Test
    void knownNameWithoutThatTypeIsNodataNeverForwarded() {
        for (int type : new int[] {Type.AAAA, Type.MX, Type.TXT}) {
            Message answer = ask(channel, query("server", type));
            assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(answer.getSection(Section.ANSWER)).isEmpty();
        }
        assertThat(counters.nodata()).isEqualTo(3);
        assertThat(forwarder.forwarded).isEmpty();
    }

    @Test
    void unknownSingleLabelIsNxdomainAndOtherNamesAreForwarded() {
        assertThat(ask(channel, query("nosuch", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(counters.nxdomain()).isEqualTo(1);
        channel.writeInbound(packet(query("www.example.com", Type.A).toWire()));
        channel.writeInbound(packet(query("nosuch", Type.MX).toWire()));
        assertThat(forwarder.forwarded).hasSize(2);
        assertThat(counters.forwarded()).isEqualTo(2);
        assertThat(channel.outboundMessages()).isEmpty();
    }

    @Test
    void scopeHidesOtherNetworks() {
        assertThat(ask(channel, query("db", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        EmbeddedChannel both = udpChannel(SandboxScope.of("front", "back"));
        assertThat(addresses(ask(both, query("db", Type.A)), Section.ANSWER)).containsExactly("10.1.0.2");
        EmbeddedChannel back = udpChannel(SandboxScope.of("back"));
        assertThat(ask(back, query("server", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(both.finish()).isFalse();
        assertThat(back.finish()).isFalse();
    }

    @Test
    void ptrForTaskIpsAndVipsOthersForwarded() throws Exception {
        Message task = ask(channel, query(ReverseMap.fromAddress("10.0.0.3").toString(), Type.PTR));
        assertThat(((PTRRecord) task.getSection(Section.ANSWER).get(0)).getTarget().toString()).isEqualTo("server.1.abc.");
        Message vip = ask(channel, query(ReverseMap.fromAddress("10.0.0.2").toString(), Type.PTR));
        assertThat(((PTRRecord) vip.getSection(Section.ANSWER).get(0)).getTarget().toString()).isEqualTo("server.");
        channel.writeInbound(packet(query(ReverseMap.fromAddress("192.0.2.1").toString(), Type.PTR).toWire()));
        assertThat(forwarder.forwarded).hasSize(1);
    }

    @Test
    void srvForPublishedPortsWithGlue() {
        Message answer = ask(channel, query("_8080._tcp.server", Type.SRV));
        SRVRecord srv = (SRVRecord) answer.getSection(Section.ANSWER).get(0);
        assertThat(srv.getPort()).isEqualTo(8080);
        assertThat(srv.getTarget().toString()).isEqualTo("server.");
        assertThat(addresses(answer, Section.ADDITIONAL)).containsExactly("10.0.0.2");
        assertThat(ask(channel, query("_8080._tcp.server", Type.A)).getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void truncatesAt512WithTcAndNotWithEdns4096() {
        Message classic = ask(channel, query("tasks.big", Type.A));
        assertThat(classic.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(classic.getSection(Section.ANSWER)).isNotEmpty().hasSizeLessThan(BIG);
        assertThat(udpSize(channel, query("tasks.big", Type.A))).isLessThanOrEqualTo(512);

        Message edns = ask(channel, ednsQuery("tasks.big", Type.A, 4096));
        assertThat(edns.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(edns.getSection(Section.ANSWER)).hasSize(BIG);
        assertThat(edns.getOPT()).as("OPT echoed").isNotNull();
        assertThat(edns.getOPT().getPayloadSize()).isEqualTo(4096);

        assertThat(udpSize(channel, ednsQuery("tasks.big", Type.A, 1232))).isLessThanOrEqualTo(1232);
        assertThat(udpSize(channel, ednsQuery("tasks.big", Type.A, 65000))).isLessThanOrEqualTo(4096);
        assertThat(counters.truncated()).isEqualTo(3);
    }

    @Test
    void noOptInTheAnswerWithoutOneInTheQuery() {
        assertThat(ask(channel, query("server", Type.A)).getOPT()).isNull();
        OPTRecord opt = ask(channel, ednsQuery("nosuch", Type.A, 1232)).getOPT();
        assertThat(opt).isNotNull();
    }

    @Test
    void tcpHasNoTruncationAndFramesEveryAnswer() {
        EmbeddedChannel tcp = new EmbeddedChannel();
        server.initTcp(tcp.pipeline(), FRONT);
        byte[] one = query("tasks.big", Type.A).toWire();
        byte[] two = query("server", Type.A).toWire();
        ByteBuf stream = Unpooled.buffer();
        stream.writeShort(one.length).writeBytes(one).writeShort(two.length).writeBytes(two, 0, 5);
        tcp.writeInbound(stream);
        ByteBuf rest = Unpooled.buffer().writeBytes(two, 5, two.length - 5);
        tcp.writeInbound(rest);
        Message big = readTcp(tcp);
        assertThat(big.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(big.getSection(Section.ANSWER)).hasSize(BIG);
        assertThat(addresses(readTcp(tcp), Section.ANSWER)).containsExactly("10.0.0.2");
        assertThat(tcp.finish()).isFalse();
    }

    static Message readTcp(EmbeddedChannel tcp) {
        ByteBuf framed = tcp.readOutbound();
        try {
            assertThat(framed.readUnsignedShort()).isEqualTo(framed.readableBytes());
            return DnsTestSupport.parse(framed);
        } finally {
            framed.release();
            assertThat(framed.refCnt()).isZero();
        }
    }

    @Test
    void malformedWithReadableHeaderIsFormerrShortOrResponsesAreDropped() {
        byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 'x'};
        Message formerr = DnsTestSupport.ask(channel, rawQuery(garbage));
        assertThat(formerr.getHeader().getID()).isEqualTo(0x1234);
        assertThat(formerr.getRcode()).isEqualTo(Rcode.FORMERR);

        byte[] noQuestion = {0x00, 0x07, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
        channel.writeInbound(packet(noQuestion));
        assertThat(readUdp(channel).getRcode()).isEqualTo(Rcode.FORMERR);

        channel.writeInbound(packet(new byte[] {1, 2, 3}));
        byte[] response = query("server", Type.A).toWire();
        response[2] |= (byte) 0x80;
        channel.writeInbound(packet(response));
        assertThat(channel.outboundMessages()).isEmpty();
        assertThat(counters.formerr()).isEqualTo(2);
        assertThat(counters.drops()).isEqualTo(2);
    }

    /** Wraps raw bytes so {@link DnsTestSupport#ask} can send them. */
    private static Message rawQuery(byte[] wire) {
        return new Message() {
            @Override
            public byte[] toWire() {
                return wire;
            }
        };
    }

    @Test
    void otherOpcodesAreNotImplemented() {
        Message notify = query("server", Type.SOA);
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        assertThat(ask(channel, notify).getRcode()).isEqualTo(Rcode.NOTIMP);
    }

    @Test
    void forwardedAnswerGetsTheClientsIdBackAndIsTruncatedToItsSize() throws Exception {
        Message question = query("www.example.com", Type.A);
        channel.writeInbound(packet(question.toWire()));
        RecordingForwarder.Forwarded sent = forwarder.forwarded.get(0);
        assertThat(sent.overTcp()).isFalse();
        Message upstreamView = DnsTestSupport.parse(sent.query());
        assertThat(upstreamView.getQuestion().getName().toString()).isEqualTo("www.example.com.");

        Message big = question.clone();
        big.getHeader().setID(4242);
        big.getHeader().setFlag(Flags.QR);
        for (int i = 0; i < 60; i++) {
            big.addRecord(Record.fromString(question.getQuestion().getName(), Type.A, 1, 60, "192.0.2." + i, null),
                    Section.ANSWER);
        }
        sent.callback().onResponse(Unpooled.wrappedBuffer(big.toWire()));
        Message relayed = readUdp(channel);
        assertThat(relayed.getHeader().getID()).isEqualTo(question.getHeader().getID());
        assertThat(relayed.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(relayed.getSection(Section.ANSWER)).isEmpty();
        assertThat(relayed.getQuestion().getName().toString()).isEqualTo("www.example.com.");

        sent.callback().onFailure();
        Message failed = readUdp(channel);
        assertThat(failed.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(failed.getHeader().getID()).isEqualTo(question.getHeader().getID());
        assertThat(counters.servfail()).isEqualTo(1);
    }

    @Test
    void newTableIsSeenByTheNextQuery() {
        server.publish(RecordTable.builder().vipService("front", "server", ip("10.0.0.99")).build());
        assertThat(addresses(ask(channel, query("server", Type.A)), Section.ANSWER)).containsExactly("10.0.0.99");
        assertThat(ask(channel, query("big", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void emptyDnsrrServiceIsNodata() {
        server.publish(RecordTable.builder().dnsrrService("front", "idle").build());
        Message answer = ask(channel, query("tasks.idle", Type.A));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        List<Record> records = answer.getSection(Section.ANSWER);
        assertThat(records).isEmpty();
        assertThat(forwarder.forwarded).isEmpty();
    }
}
