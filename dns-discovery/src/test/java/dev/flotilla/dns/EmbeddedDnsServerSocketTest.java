package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.addresses;
import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.query;
import static dev.flotilla.dns.LocalServers.resolver;
import static dev.flotilla.dns.LocalServers.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
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
        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
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
    void noUpstreamsMeansServfailForForeignNames() {
        assertThat(send(resolver(port, false), query("www.example.com", Type.A)).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }
}
