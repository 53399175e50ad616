package dev.flotilla.bench;

import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.linux.NetNs;
import dev.flotilla.vxlan.Endpoint;
import dev.flotilla.vxlan.Vtep;
import dev.flotilla.vxlan.VtepConfig;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The Flotilla half of {@code bench/vtep-vs-kernel.sh}: two VTEPs in this JVM, as in
 * {@code VtepPrivilegedTest}, one per node namespace, each attaching VNI 4096's TAP {@code vtep0}
 * in its network namespace. The script builds every namespace, link and bridge; this program only
 * binds, attaches, fills the FDB and peers, prints {@code READY} and then serves until SIGTERM,
 * when it closes both VTEPs (which deletes the TAPs) and prints their counters.
 *
 * <pre>
 * java -cp ... dev.flotilla.bench.VtepBench node-a=NS node-b=NS net-a=NS net-b=NS \
 *     underlay-a=198.18.X.1 underlay-b=198.18.X.2 task-a=10.0.0.2 task-b=10.0.0.3 [lanes=1] [underlay-mtu=1500]
 * </pre>
 * {@code lanes}: event loops (UDP sockets) per VTEP. Run with {@code -Dio.netty.leakDetectionLevel=disabled}.
 */
public final class VtepBench {

    static final int VNI = 4096;

    private VtepBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> opts = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                System.err.println("VtepBench: expected key=value, got " + arg);
                System.exit(2);
            }
            opts.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        int lanes = Integer.parseInt(opts.getOrDefault("lanes", "1"));
        VtepConfig config = VtepConfig.defaults()
                .withUnderlayMtu(Integer.parseInt(opts.getOrDefault("underlay-mtu", "1500")));
        Ipv4Address underlayA = Ipv4Address.parse(required(opts, "underlay-a"));
        Ipv4Address underlayB = Ipv4Address.parse(required(opts, "underlay-b"));
        Ipv4Address taskA = Ipv4Address.parse(required(opts, "task-a"));
        Ipv4Address taskB = Ipv4Address.parse(required(opts, "task-b"));

        // Threads fl-ns-a-N and fl-ns-b-N: short enough for /proc's 15-character comm (top -H, the script).
        MultiThreadIoEventLoopGroup loopsA = loops(required(opts, "node-a"), "a", lanes);
        MultiThreadIoEventLoopGroup loopsB = loops(required(opts, "node-b"), "b", lanes);
        Vtep vtepA = Vtep.bind(loopsA, config);
        Vtep vtepB = Vtep.bind(loopsB, config);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vtepA.close();
                vtepB.close();
                System.out.println("COUNTERS A " + vtepA.counters());
                System.out.println("COUNTERS B " + vtepB.counters());
            } finally {
                loopsA.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
                loopsB.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
                closed.countDown();
            }
        }, "vtep-bench-close"));

        vtepA.attach(VNI, required(opts, "net-a"), "vtep0");
        vtepB.attach(VNI, required(opts, "net-b"), "vtep0");
        vtepA.setPeers(List.of(underlayB));
        vtepB.setPeers(List.of(underlayA));
        vtepA.setEndpoints(VNI, List.of(Endpoint.local(taskA), Endpoint.remote(taskB, underlayB)));
        vtepB.setEndpoints(VNI, List.of(Endpoint.remote(taskA, underlayA), Endpoint.local(taskB)));
        System.out.println("READY lanes=" + lanes + " innerMtu=" + config.innerMtu());
        System.out.flush();
        closed.await(); // until SIGTERM runs the hook
    }

    private static MultiThreadIoEventLoopGroup loops(String netns, String label, int threads) {
        try (NetNs ns = NetNs.open(netns)) {
            return NetnsEventLoops.inNamespace(ns, label, threads);
        }
    }

    private static String required(Map<String, String> opts, String key) {
        String value = opts.get(key);
        if (value == null) {
            System.err.println("VtepBench: missing " + key + "=...");
            System.exit(2);
        }
        return value;
    }
}
