package dev.flotilla.bench;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dns.DnsServerOptions;
import dev.flotilla.dns.EmbeddedDnsServer;
import dev.flotilla.dns.RecordTable;
import dev.flotilla.dns.SandboxScope;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Flotilla's embedded DNS server on one UDP address, for bench/dns-vs-dnsmasq-unbound.sh. Run it in
 * the namespace that owns the address ({@code ip netns exec NS java ...}). It serves one network
 * with {@code services} VIP services: {@code svc-N} answers 10.0.N/256.N%256 and {@code tasks.svc-N}
 * answers 10.1.N/256.N%256*4+{1,2,3} (the same names and addresses the script gives dnsmasq and
 * unbound), with no upstreams. Prints {@code READY} once bound, serves until SIGTERM, then prints
 * the server's counters.
 *
 * <p>Arguments ({@code key=value}): {@code addr} (required), {@code port} (53), {@code services}
 * (100), {@code threads} (1: event loop threads answering queries).
 */
public final class DnsBench {

    private DnsBench() {
    }

    /** The address of {@code svc-n}: 10.0.x.y with x.y = n. */
    static Ipv4Address vip(int n) {
        return Ipv4Address.of(10, 0, n / 256, n % 256);
    }

    /** Task {@code t} (1..3) of {@code svc-n}: 10.1.x.(y*4+t) with x.y = n, n below 16384. */
    static Ipv4Address task(int n, int t) {
        return Ipv4Address.of(10, 1, n / 64, (n % 64) * 4 + t);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("arguments are key=value, not " + arg);
            }
            opts.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        InetAddress addr = InetAddress.getByName(required(opts, "addr"));
        int port = Integer.parseInt(opts.getOrDefault("port", "53"));
        int services = Integer.parseInt(opts.getOrDefault("services", "100"));
        int threads = Integer.parseInt(opts.getOrDefault("threads", "1"));
        if (services < 1 || services >= 16384) {
            throw new IllegalArgumentException("services must be 1..16383");
        }

        String network = "bench";
        RecordTable.Builder table = RecordTable.builder();
        for (int n = 1; n <= services; n++) {
            String service = "svc-" + n;
            table.vipService(network, service, vip(n));
            for (int t = 1; t <= 3; t++) {
                table.task(network, service, service + "." + t, task(n, t));
            }
        }

        EventLoopGroup forwarderGroup = new EpollEventLoopGroup(1);
        EventLoopGroup group = new EpollEventLoopGroup(threads);
        EmbeddedDnsServer server = EmbeddedDnsServer.start(DnsServerOptions.defaults(), forwarderGroup, List.of());
        server.publish(table.build());
        Channel udp = server.bindUdp(group, new InetSocketAddress(addr, port), SandboxScope.of(network));

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            udp.close().syncUninterruptibly();
            server.close();
            group.shutdownGracefully().syncUninterruptibly();
            forwarderGroup.shutdownGracefully().syncUninterruptibly();
            System.out.println("counters " + server.counters());
            System.out.flush();
            stopped.countDown();
        }, "dns-bench-stop"));
        System.out.println("READY udp " + udp.localAddress() + ", " + services + " services, " + threads
                + " thread(s)");
        System.out.flush();
        stopped.await();
    }

    private static String required(Map<String, String> opts, String key) {
        String value = opts.get(key);
        if (value == null) {
            throw new IllegalArgumentException(key + "= is required");
        }
        return value;
    }
}
