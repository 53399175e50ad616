package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.addresses;
import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.query;
import static dev.flotilla.dns.LocalServers.resolver;
import static dev.flotilla.dns.LocalServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.testkit.NoLeaksExtension;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** dnsjava against the server on real UDP and TCP sockets on 127.0.0.1. */
@Timeout(60)
@ExtendWith(NoLeaksExtension.class)
class EmbeddedDnsServerSocketTest {

    private static final int MANY = 150;
    private static EventLoopGroup group;
    private static EmbeddedDnsServer server;
    private static List<Channel> listeners;
    private static int port;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, EpollIo.newFactory());
        server = EmbeddedDnsServer.start(DnsServerOptions.defaults(), group, List.of());
        RecordTable.Builder table = RecordTable.builder().vipService("n", "server", ip("10.0.0.2")).dnsrrService("n", "many");
        for (int i = 0; i < MANY; i++) {
            table.task("n", "many", "many." + i, ip("10.0.3." + i));
        }
        server.publish(table.build());
        listeners = LocalServers.listen(server, group, SandboxScope.of("n"));
        port = LocalServers.port(listeners);
    }

    @AfterAll
    static void stop() {
        listeners.forEach(c -> c.close().syncUninterruptibly());
        server.close();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void answersOverUdpAndTcp() {
        assertThat(addresses(send(resolver(port, false), query("server", Type.A)), Section.ANSWER)).containsExactly("10.0.0.2");
        assertThat(addresses(send(resolver(port, true), query("SERVER", Type.A)), Section.ANSWER)).containsExactly("10.0.0.2");
        assertThat(send(resolver(port, true), query("nosuch", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void truncatedUdpAnswerMakesTheClientRetryOverTcp() {
        SimpleResolver udpOnly = resolver(port, false);
        udpOnly.setIgnoreTruncation(true);
        udpOnly.setEDNS(-1);
        Message cut = send(udpOnly, query("tasks.many", Type.A));
        assertThat(cut.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(cut.getSection(Section.ANSWER)).hasSizeLessThan(MANY);

        long truncatedBefore = server.counters().truncated();
        SimpleResolver client = resolver(port, false); // retries over TCP on TC, as stub resolvers do
        client.setEDNS(-1);
        Message full = send(client, query("tasks.many", Type.A));
        assertThat(full.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(full.getSection(Section.ANSWER)).hasSize(MANY);
        assertThat(server.counters().truncated()).isEqualTo(truncatedBefore + 1);
    }

    @Test
    void aBurstOfQueriesIsReadAndAnsweredInBatches() throws Exception {
        // Several waves of queries sent back to back, so the server reads many per recvmmsg and answers
        // them with one flush: A and AAAA (NODATA) on the fast path, ANY through the codec, an EDNS query
        // padded close to our largest UDP payload (must not be cut by the receive slots) and junk (dropped).
        try (DatagramChannel client = DatagramChannel.open()) {
            client.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            client.connect(new InetSocketAddress(LocalServers.LOOPBACK, port));
            long dropsBefore = server.counters().drops();
            Map<Integer, Integer> asked = new HashMap<>();
            Set<Integer> padded = new HashSet<>();
            int id = 1;
            for (int wave = 0; wave < 4; wave++) {
                for (int i = 0; i < 40; i++, id++) {
                    int type = i % 3 == 0 ? Type.A : i % 3 == 1 ? Type.AAAA : Type.ANY;
                    Message q = i == 7 ? padded(query("server", type), DnsServerOptions.DEFAULT_MAX_UDP_PAYLOAD - 100)
                            : query("server", type);
                    q.getHeader().setID(id);
                    asked.put(id, type);
                    if (i == 7) {
                        padded.add(id);
                    }
                    client.write(ByteBuffer.wrap(q.toWire()));
                    if (i == 20) {
                        client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                    }
                }
                ByteBuffer in = ByteBuffer.allocate(DnsServerOptions.DEFAULT_MAX_UDP_PAYLOAD);
                for (int i = 0; i < 40; i++) {
                    in.clear();
                    client.receive(in);
                    in.flip();
                    byte[] wire = new byte[in.remaining()];
                    in.get(wire);
                    Message answer = new Message(wire);
                    Integer type = asked.remove(answer.getHeader().getID());
                    assertThat(type).as("an answer to a query we sent").isNotNull();
                    assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
                    assertThat(answer.getQuestion().getType()).isEqualTo(type);
                    assertThat(answer.getOPT() != null).as("OPT in the answer").isEqualTo(padded.contains(id(answer)));
                    assertThat(addresses(answer, Section.ANSWER))
                            .isEqualTo(type == Type.AAAA ? List.of() : List.of("10.0.0.2"));
                }
            }
            assertThat(asked).isEmpty();
            assertThat(server.counters().drops()).isEqualTo(dropsBefore + 4);
        }
    }

    private static int id(Message message) {
        return message.getHeader().getID();
    }

    /** {@code query} with an EDNS0 OPT whose padding option makes the whole message {@code size} bytes. */
    private static Message padded(Message query, int size) {
        int padding = size - query.toWire().length - 11 - 4;
        query.addRecord(new OPTRecord(DnsServerOptions.DEFAULT_MAX_UDP_PAYLOAD, 0, 0, 0,
                List.of(new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[padding]))), Section.ADDITIONAL);
        assertThat(query.toWire()).hasSize(size);
        return query;
    }

    @Test
    void noUpstreamsMeansServfailForForeignNames() {
        assertThat(send(resolver(port, false), query("www.example.com", Type.A)).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }
}
