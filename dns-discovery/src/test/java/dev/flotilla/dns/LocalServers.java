package dev.flotilla.dns;

import dev.flotilla.testkit.Poll;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Message;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** Real sockets for tests: our server on 127.0.0.1, dnsmasq upstreams, dnsjava clients. */
final class LocalServers {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final Duration WAIT = Duration.ofSeconds(10);

    private LocalServers() {
    }

    /** UDP and TCP listeners on the same ephemeral port of 127.0.0.1 (dnsjava uses one port for both). */
    static List<Channel> listen(EmbeddedDnsServer server, EventLoopGroup group, SandboxScope scope) {
        for (int attempt = 0; ; attempt++) {
            Channel udp = server.bindUdp(group, new InetSocketAddress(LOOPBACK, 0), scope);
            int port = ((InetSocketAddress) udp.localAddress()).getPort();
            try {
                return List.of(udp, server.bindTcp(group, new InetSocketAddress(LOOPBACK, port), scope));
            } catch (IllegalStateException portTakenForTcp) {
                udp.close().syncUninterruptibly();
                if (attempt == 10) {
                    throw portTakenForTcp;
                }
            }
        }
    }

    static int port(List<Channel> listeners) {
        return ((InetSocketAddress) listeners.get(0).localAddress()).getPort();
    }

    static SimpleResolver resolver(int port, boolean tcp) {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(LOOPBACK, port));
        resolver.setTCP(tcp);
        resolver.setTimeout(WAIT);
        return resolver;
    }

    static int freeUdpPort() {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A loopback port free for UDP and TCP both (dnsmasq binds both), at the time of asking. */
    static int freeUdpAndTcpPort() {
        while (true) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                 ServerSocket tcp = new ServerSocket(udp.getLocalPort(), 1, LOOPBACK)) {
                return tcp.getLocalPort();
            } catch (IOException takenForTcp) {
                // the next ephemeral UDP port
            }
        }
    }

    static boolean dnsmasqAvailable() {
        return Files.isExecutable(Path.of("/usr/sbin/dnsmasq"));
    }

    /** A dnsmasq answering {@code /name/address} pairs on 127.0.0.1 and REFUSING everything else. */
    static final class Dnsmasq implements AutoCloseable {

        /** dnsmasq's exit status when it cannot bind its port (another process took it meanwhile). */
        private static final int EXIT_BIND_FAILED = 2;
        private static final int ATTEMPTS = 5;

        final int port;
        private final Process process;

        Dnsmasq(String... nameAddressPairs) throws Exception {
            String probeName = nameAddressPairs[0].split("/")[1];
            for (int attempt = 1; ; attempt++) {
                int candidate = freeUdpAndTcpPort();
                Process started = start(candidate, nameAddressPairs);
                if (answers(started, candidate, probeName)) {
                    port = candidate;
                    process = started;
                    return;
                }
                if (started.exitValue() != EXIT_BIND_FAILED || attempt == ATTEMPTS) {
                    throw new AssertionError("dnsmasq exited with " + started.exitValue() + " (port " + candidate
                            + ", attempt " + attempt + ")");
                }
            }
        }

        private static Process start(int port, String... nameAddressPairs) throws IOException {
            List<String> argv = new ArrayList<>(List.of("/usr/sbin/dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                    "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1", "--port=" + port,
                    "--pid-file", "--user=root", "--log-facility=-"));
            for (String pair : nameAddressPairs) {
                argv.add("--address=" + pair);
            }
            return new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        }

        /** True once {@code process} answers on {@code port}; false if it exited first. */
        private static boolean answers(Process process, int port, String probeName) {
            SimpleResolver probe = resolver(port, false);
            probe.setTimeout(Duration.ofMillis(200));
            boolean[] up = new boolean[1];
            Poll.until(WAIT, () -> {
                try {
                    return up[0] = probe.send(DnsTestSupport.query(probeName, Type.A)) != null;
                } catch (IOException notYet) {
                    return !process.isAlive();
                }
            }, "dnsmasq to answer on port " + port);
            return up[0];
        }

        InetSocketAddress address() {
            return new InetSocketAddress(LOOPBACK, port);
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    static Message send(SimpleResolver resolver, Message query) {
        try {
            return resolver.send(query);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
