package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.addresses;
import static dev.flotilla.dns.DnsTestSupport.ip;
import static dev.flotilla.dns.DnsTestSupport.query;
import static dev.flotilla.dns.LocalServers.LOOPBACK;
import static dev.flotilla.dns.LocalServers.WAIT;
import static dev.flotilla.dns.LocalServers.resolver;
import static dev.flotilla.dns.LocalServers.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.dns.LocalServers.Dnsmasq;
import dev.flotilla.testkit.NoLeaksExtension;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Forwarding to real upstreams (dnsmasq on 127.0.0.1), over UDP and TCP. */
@Timeout(60)
@ExtendWith(NoLeaksExtension.class)
class UpstreamForwardingTest {

    private static final Duration UPSTREAM_TIMEOUT = Duration.ofMillis(300);
    private static EventLoopGroup group;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        assumeTrue(LocalServers.dnsmasqAvailable(), "dnsmasq not installed (apt-get install dnsmasq-base)");
        group = new MultiThreadIoEventLoopGroup(2, EpollIo.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private Dnsmasq dnsmasq(String... pairs) throws Exception {
        Dnsmasq upstream = new Dnsmasq(pairs);
        resources.add(upstream);
        return upstream;
    }

    /** A server forwarding to {@code upstreams}, listening on 127.0.0.1; returns the port. */
    private int serve(EmbeddedDnsServer server) {
        server.publish(RecordTable.builder().vipService("n", "server", ip("10.0.0.2")).build());
        List<Channel> listeners = LocalServers.listen(server, group, SandboxScope.of("n"));
        resources.add(() -> listeners.forEach(c -> c.close().syncUninterruptibly()));
        resources.add(server);
        return LocalServers.port(listeners);
    }

    private static EmbeddedDnsServer server(InetSocketAddress... upstreams) {
        return EmbeddedDnsServer.start(DnsServerOptions.defaults().withUpstreamTimeout(UPSTREAM_TIMEOUT), group,
                List.of(upstreams));
    }

    @Test
    void forwardedAnswerArrivesOverUdpAndTcp() throws Exception {
        Dnsmasq upstream = dnsmasq("/upstream.test/192.0.2.7");
        EmbeddedDnsServer server = server(upstream.address());
        int port = serve(server);
        Message udp = send(resolver(port, false), query("UpStream.test", Type.A));
        assertThat(addresses(udp, Section.ANSWER)).containsExactly("192.0.2.7");
        assertThat(udp.getQuestion().getName().toString()).isEqualTo("UpStream.test.");
        assertThat(addresses(send(resolver(port, true), query("upstream.test", Type.A)), Section.ANSWER))
                .containsExactly("192.0.2.7");
        assertThat(server.counters().forwarded()).isEqualTo(2);
        assertThat(send(resolver(port, false), query("server", Type.A)).getSection(Section.ANSWER)).hasSize(1);
        assertThat(server.counters().forwarded()).as("local names never forwarded").isEqualTo(2);
    }

    @Test
    void refusedAndDeadUpstreamsMoveOnToTheNext() throws Exception {
        Dnsmasq refusing = dnsmasq("/elsewhere.test/192.0.2.1"); // REFUSES other.test: it has no upstream
        Dnsmasq answering = dnsmasq("/other.test/192.0.2.8");
        InetSocketAddress dead = new InetSocketAddress(LOOPBACK, LocalServers.freeUdpPort());
        EmbeddedDnsServer server = server(dead, refusing.address(), answering.address());
        int port = serve(server);
        assertThat(addresses(send(resolver(port, false), query("other.test", Type.A)), Section.ANSWER))
                .containsExactly("192.0.2.8");
        assertThat(server.counters().upstreamFailures()).isEqualTo(2);
    }

    @Test
    void concurrentClientsWithTheSameIdDoNotCollide() throws Exception {
        Dnsmasq upstream = dnsmasq("/upstream.test/192.0.2.7");
        int port = serve(server(upstream.address()));
        int clients = 64;
        List<DatagramSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                socket.setSoTimeout((int) WAIT.toMillis());
                sockets.add(socket);
                Message query = query("c" + i + ".upstream.test", Type.A);
                query.getHeader().setID(7);
                byte[] wire = query.toWire();
                socket.send(new DatagramPacket(wire, wire.length, new InetSocketAddress(LOOPBACK, port)));
            }
            for (int i = 0; i < clients; i++) {
                byte[] buffer = new byte[512];
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                sockets.get(i).receive(packet);
                Message answer = new Message(java.util.Arrays.copyOf(buffer, packet.getLength()));
                assertThat(answer.getHeader().getID()).isEqualTo(7);
                assertThat(answer.getQuestion().getName().toString()).isEqualTo("c" + i + ".upstream.test.");
                assertThat(addresses(answer, Section.ANSWER)).containsExactly("192.0.2.7");
            }
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }

    @Test
    void stoppedUpstreamGivesServfailWithinTheTimeout() throws Exception {
        Dnsmasq upstream = dnsmasq("/upstream.test/192.0.2.7");
        EmbeddedDnsServer server = server(upstream.address());
        int port = serve(server);
        upstream.close();
        for (boolean tcp : new boolean[] {false, true}) {
            long start = System.nanoTime();
            Message answer = send(resolver(port, tcp), query("upstream.test", Type.A));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(answer.getRcode()).as("tcp=%s", tcp).isEqualTo(Rcode.SERVFAIL);
            assertThat(took).isLessThan(UPSTREAM_TIMEOUT.plusSeconds(2));
        }
        assertThat(server.counters().servfail()).isEqualTo(2);
    }
}
