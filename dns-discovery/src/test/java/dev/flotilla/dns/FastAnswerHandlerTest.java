package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.addresses;
import static dev.flotilla.dns.DnsTestSupport.ask;
import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.packet;
import static dev.flotilla.dns.DnsTestSupport.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.NoLeaksExtension;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import java.net.InetAddress;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** The codec-free answers say exactly what the codec path says, record for record. */
@ExtendWith(NoLeaksExtension.class)
class FastAnswerHandlerTest {

    private static final SandboxScope FRONT = SandboxScope.of("front");

    /** Tasks of dnsrr service "many": too many A records for 512 bytes, not for 1232. */
    private static final int MANY = 40;

    private final RecordingForwarder forwarder = new RecordingForwarder();
    private final EmbeddedDnsServer server = new EmbeddedDnsServer(DnsServerOptions.defaults(), new DnsCounters(), forwarder);
    private final EmbeddedChannel fast = new EmbeddedChannel();
    private final EmbeddedChannel codec = new EmbeddedChannel();
    /** The fast path alone: whatever it does not answer ends (released) at the pipeline's tail. */
    private final EmbeddedChannel fastOnly = new EmbeddedChannel();

    FastAnswerHandlerTest() {
        RecordTable.Builder table = RecordTable.builder()
                .vipService("front", "server", ip("10.0.0.2"))
                .task("front", "server", "server.1.abc", ip("10.0.0.3"))
                .task("front", "server", "server.2.def", ip("10.0.0.4"))
                .publishedPort("front", "server", 8080, "tcp")
                .publishedPort("front", "server", 53, "udp")
                .dnsrrService("front", "cache")
                .task("front", "cache", "cache.1.x", ip("10.0.0.9"))
                .task("front", "cache", "cache.2.y", ip("10.0.0.10"))
                .publishedPort("front", "cache", 6379, "tcp")
                .vipService("front", "idle", ip("10.0.0.20"))
                .dnsrrService("front", "many")
                .vipService("back", "db", ip("10.1.0.2"));
        for (int i = 0; i < MANY; i++) {
            table.task("front", "many", "many." + i, ip("10.0.3." + i));
        }
        server.publish(table.build());
        server.initUdp(fast.pipeline(), FRONT);
        fastOnly.pipeline().addLast(new FastAnswerHandler(server, FRONT));
        codec.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                new DnsQueryHandler(server, FRONT, true));
    }

    @AfterEach
    void nothingLeft() {
        assertThat(fast.finish()).isFalse();
        assertThat(codec.finish()).isFalse();
        assertThat(fastOnly.finish()).isFalse();
        forwarder.releaseAll();
    }

    @Test
    void plainAQueriesGetTheCodecPathsAnswer() {
        for (String name : List.of("server", "SERVER", "tasks.server", "cache", "server.1.abc", "server.", "tasks.idle")) {
            Message q = query(name, Type.A);
            q.getHeader().unsetFlag(Flags.RD);
            assertSameAnswer(q);
            assertSameAnswer(query(name, Type.A));
        }
        Message rd = ask(fast, query("server", Type.A));
        assertThat(rd.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(rd.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(rd.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(rd.getSection(Section.ANSWER)).extracting(Record::getTTL).containsOnly(5L);
    }

    @Test
    void addressesAreRotated() {
        Set<Record> first = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            first.add(ask(fastOnly, query("tasks.server", Type.A)).getSection(Section.ANSWER).get(0));
        }
        assertThat(first).hasSize(2);
    }

    @Test
    void aaaaPtrAndSrvGetTheCodecPathsAnswer() throws Exception {
        List<Message> queries = List.of(
                query("server", Type.AAAA), query("Tasks.Server", Type.AAAA), query("server.1.abc", Type.AAAA),
                query(ReverseMap.fromAddress("10.0.0.2").toString(), Type.PTR),
                query(ReverseMap.fromAddress("10.0.0.3").toString(), Type.PTR),
                query("server", Type.PTR),
                query("_8080._tcp.server", Type.SRV), query("_53._UDP.server", Type.SRV),
                query("_6379._tcp.cache", Type.SRV), query("server", Type.SRV));
        for (Message q : queries) {
            assertSameAnswer(q);
        }
        assertThat(ask(fastOnly, query("_6379._tcp.cache", Type.SRV)).getSection(Section.ADDITIONAL)).hasSize(2);
    }

    @Test
    void ednsQueriesGetTheCodecPathsAnswerWithinTheirUdpSize() throws Exception {
        List<String> names = List.of("server", "tasks.server", "tasks.idle", "tasks.many");
        for (int udpSize : new int[] {100, 512, 1232, 4096, 65000}) {
            for (String name : names) {
                Message q = DnsTestSupport.ednsQuery(name, Type.A, udpSize);
                if (name.equals("tasks.many") && udpSize <= 512) {
                    assertAnsweredByTheCodecPath(q);
                } else {
                    assertSameAnswer(q);
                }
            }
            assertSameAnswer(DnsTestSupport.ednsQuery("server", Type.AAAA, udpSize));
            assertSameAnswer(DnsTestSupport.ednsQuery("_6379._tcp.cache", Type.SRV, udpSize));
            assertSameAnswer(DnsTestSupport.ednsQuery(ReverseMap.fromAddress("10.0.0.9").toString(), Type.PTR, udpSize));
        }
        // Options and the DO bit are not looked at, by either path.
        Message withOptions = query("server", Type.A);
        withOptions.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO,
                List.of(new GenericEDNSOption(EDNSOption.Code.COOKIE, new byte[8]))), Section.ADDITIONAL);
        assertSameAnswer(withOptions);
        OPTRecord opt = ask(fastOnly, withOptions).getOPT();
        assertThat(opt.getPayloadSize()).isEqualTo(DnsServerOptions.DEFAULT_MAX_UDP_PAYLOAD);
        assertThat(opt.getOptions()).isEmpty();
    }

    @Test
    void everythingElseReachesTheCodecPath() throws Exception {
        assertAnsweredByTheCodecPath(query("db", Type.A)); // out of scope: NXDOMAIN
        assertAnsweredByTheCodecPath(query("server", Type.ANY));
        assertAnsweredByTheCodecPath(query("server", Type.TXT));
        assertAnsweredByTheCodecPath(query("tasks.many", Type.A)); // 640 bytes of answers, no EDNS
        assertNotAnsweredByTheFastPath(Message.newQuery(Record.newRecord(DnsTestSupport.name("server"), Type.A, DClass.CH)));
        Message twoOpts = DnsTestSupport.ednsQuery("server", Type.A, 1232);
        twoOpts.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        assertNotAnsweredByTheFastPath(twoOpts);
        Message notOpt = query("server", Type.A);
        notOpt.addRecord(new TXTRecord(DnsTestSupport.name("x"), DClass.IN, 0, "x"), Section.ADDITIONAL);
        assertNotAnsweredByTheFastPath(notOpt);
        Message withAnswer = query("server", Type.A);
        withAnswer.addRecord(new ARecord(DnsTestSupport.name("server"), DClass.IN, 0, InetAddress.getByAddress(new byte[] {10, 0, 0, 2})),
                Section.ANSWER);
        assertNotAnsweredByTheFastPath(withAnswer);
    }

    /** The fast path alone answers {@code query}, with the codec path's records, flags and counters. */
    private void assertSameAnswer(Message query) {
        long[] before = counts();
        Message a = ask(fastOnly, query);
        long[] afterFast = counts();
        Message b = ask(codec, query);
        long[] afterCodec = counts();
        String what = query.getQuestion() + (query.getOPT() == null ? "" : " " + query.getOPT());
        assertThat(canonical(a).toString()).as(what).isEqualTo(canonical(b).toString());
        assertThat(canonical(a).toWire()).as(what).isEqualTo(canonical(b).toWire());
        for (int i = 0; i < before.length; i++) {
            assertThat(afterFast[i] - before[i]).as(what + " counter " + i).isEqualTo(afterCodec[i] - afterFast[i]);
        }
    }

    private void assertAnsweredByTheCodecPath(Message query) {
        assertNotAnsweredByTheFastPath(query);
        Message a = ask(fast, query);
        Message b = ask(codec, query);
        // Headers only: a truncated answer holds a random part of the addresses.
        assertThat(a.getHeader().toString()).isEqualTo(b.getHeader().toString());
        assertThat(a.getQuestion()).isEqualTo(b.getQuestion());
    }

    /** The fast path passes {@code query} on untouched and writes nothing. */
    private void assertNotAnsweredByTheFastPath(Message query) {
        byte[] wire = query.toWire();
        fastOnly.writeInbound(packet(wire));
        assertThat((Object) fastOnly.readOutbound()).as(query.getQuestion().toString()).isNull();
        DatagramPacket passed = fastOnly.readInbound();
        try {
            assertThat(ByteBufUtil.getBytes(passed.content())).isEqualTo(wire);
        } finally {
            passed.release();
        }
    }

    private long[] counts() {
        DnsCounters c = server.counters();
        return new long[] {c.queries(), c.answeredLocally(), c.nodata(), c.nxdomain(), c.truncated(), c.forwarded()};
    }

    /**
     * {@code message} with each section's records sorted (addresses come rotated), so that dnsjava
     * encodes two equal answers to the same bytes whatever order and name compression they came with.
     */
    private static Message canonical(Message message) {
        Header from = message.getHeader();
        Message copy = new Message(from.getID());
        Header header = copy.getHeader();
        for (int flag : new int[] {Flags.QR, Flags.AA, Flags.TC, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
            if (from.getFlag(flag)) {
                header.setFlag(flag);
            }
        }
        header.setOpcode(from.getOpcode());
        header.setRcode(from.getRcode());
        for (int section = Section.QUESTION; section <= Section.ADDITIONAL; section++) {
            int into = section;
            message.getSection(section).stream().sorted(Comparator.comparing(Record::toString))
                    .forEach(record -> copy.addRecord(record, into));
        }
        return copy;
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
