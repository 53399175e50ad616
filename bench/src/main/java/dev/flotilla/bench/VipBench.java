package dev.flotilla.bench;

import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.link.TproxyVips;
import dev.flotilla.ingress.ProxyOptions;
import dev.flotilla.ingress.VipProxy;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The Flotilla half of {@code bench/vip-vs-direct.sh}: one network namespace's VIP machinery as
 * the agent sets it up ({@link TproxyVips} steering plus a {@link VipProxy} on loops inside the
 * namespace), serving one VIP over the given tasks. The script builds the namespaces, br0 and the LB
 * address; this program prints {@code READY} once the VIP answers, then serves until SIGTERM, when
 * it closes the proxy, removes the steering and prints the VIP's counters.
 *
 * <pre>
 * java -cp ... dev.flotilla.bench.VipBench net=NS lb=10.0.0.2 vip=10.0.0.100 backends=10.0.0.11[,..] [loops=2]
 * </pre>
 */
public final class VipBench {

    private VipBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                System.err.println("VipBench: expected key=value, got " + arg);
                System.exit(2);
            }
            opts.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String net = required(opts, "net");
        InetAddress lb = InetAddress.getByName(required(opts, "lb"));
        InetAddress vip = InetAddress.getByName(required(opts, "vip"));
        List<InetAddress> backends = new ArrayList<>();
        for (String b : required(opts, "backends").split(",")) {
            backends.add(address(b));
        }
        int nLoops = Integer.parseInt(opts.getOrDefault("loops", "2"));

        MultiThreadIoEventLoopGroup loops = NetnsEventLoops.inNamespace(net, nLoops);
        VipProxy proxy = VipProxy.start(loops, lb, 0, 0, ProxyOptions.DEFAULTS);
        TproxyVips steering = TproxyVips.in(net, "br0");
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                proxy.close();
                steering.remove();
                System.out.println("COUNTERS " + proxy.counters(vip).map(Object::toString).orElse("-"));
            } finally {
                loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
                closed.countDown();
            }
        }, "vip-bench-close"));
        steering.install(proxy.tcpPort(), proxy.udpPort());
        steering.setVips(Set.of(Ipv4Address.parse(vip.getHostAddress())));
        proxy.setBackends(vip, backends);
        System.out.println("READY tcp=" + proxy.tcpPort() + " udp=" + proxy.udpPort() + " loops=" + nLoops);
        System.out.flush();
        closed.await();
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static String required(Map<String, String> opts, String key) {
        String value = opts.get(key);
        if (value == null) {
            System.err.println("VipBench: missing " + key + "=...");
            System.exit(2);
        }
        return value;
    }
}
