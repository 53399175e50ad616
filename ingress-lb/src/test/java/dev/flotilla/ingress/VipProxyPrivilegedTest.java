package dev.flotilla.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.dataplane.link.TproxyVips;
import dev.flotilla.linux.Native;
import dev.flotilla.linux.NetNs;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.NoLeaksExtension;
import dev.flotilla.testkit.Poll;
import dev.flotilla.testkit.Root;
import io.netty.channel.EventLoopGroup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Service VIPs end to end in real namespaces: a "network" namespace with br0 (the LB address, the
 * VIP steering and the VIP proxy's loops), two "task" namespaces running a TCP and a UDP backend, and
 * a client namespace, all on br0 of the network namespace, addresses from 10.77.0.0/24.
 */
@Timeout(120)
@ExtendWith(NoLeaksExtension.class)
class VipProxyPrivilegedTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final InetAddress LB = address("10.77.0.2");
    private static final InetAddress TASK1 = address("10.77.0.11");
    private static final InetAddress TASK2 = address("10.77.0.12");
    private static final InetAddress CLIENT = address("10.77.0.20");
    private static final InetAddress VIP = address("10.77.0.100");
    private static final InetAddress EMPTY_VIP = address("10.77.0.101");
    private static final int HTTP = 80;
    private static final int DNS = 5353;

    private final NamespaceLab lab = new NamespaceLab("vp");
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String net;
    private String task1;
    private String task2;
    private String client;
    private EventLoopGroup loops;
    private TproxyVips steering;
    private VipProxy proxy;
    private Task one;
    private Task two;

    @BeforeEach
    void topology() throws Exception {
        Root.assume("ip", "nft");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
        net = lab.namespace("net");
        task1 = lab.namespace("t1");
        task2 = lab.namespace("t2");
        client = lab.namespace("c");
        LinkConfig n = LinkConfig.in(net);
        n.addBridge("br0");
        n.addAddress("br0", Ipv4Address.parse(LB.getHostAddress()), 24);
        n.setUp("br0");
        attach(n, task1, "v1", TASK1);
        attach(n, task2, "v2", TASK2);
        attach(n, client, "vc", CLIENT);

        loops = NetnsEventLoops.inNamespace(net, 2);
        proxy = VipProxy.start(loops, LB, 0, 0, ProxyOptions.DEFAULTS.withUdpFlowIdleTimeout(Duration.ofSeconds(5)));
        steering = TproxyVips.in(net, "br0");
        steering.install(proxy.tcpPort(), proxy.udpPort());
        steering.setVips(Set.of(ip4(VIP), ip4(EMPTY_VIP)));
        proxy.setBackends(VIP, List.of(TASK1, TASK2));
        proxy.setBackends(EMPTY_VIP, List.of());

        one = new Task("one", task1);
        two = new Task("two", task2);
        toClose.add(one);
        toClose.add(two);
    }

    private static void attach(LinkConfig net, String ns, String link, InetAddress address) {
        net.addVethPair(link, link + "p");
        net.setMaster(link, "br0");
        net.setUp(link);
        net.moveToNetns(link + "p", ns, "eth0");
        LinkConfig inside = LinkConfig.in(ns);
        inside.addAddress("eth0", Ipv4Address.parse(address.getHostAddress()), 24);
        inside.setUp("eth0");
        inside.setUp("lo");
    }

    @AfterEach
    void cleanUp() {
        RuntimeException first = null;
        List<Runnable> steps = new ArrayList<>();
        for (AutoCloseable c : toClose) {
            steps.add(() -> {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + c, e);
                }
            });
        }
        if (proxy != null) {
            steps.add(proxy::close);
        }
        if (loops != null) {
            steps.add(() -> loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly());
        }
        steps.add(lab::close);
        for (Runnable step : steps) { // every step runs, whatever failed before it
            try {
                step.run();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Test
    void tcpConnectionsToTheVipReachBothTasksInTurnFromTheLbAddress() throws Exception {
        List<String> reached = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (Conn c = connect(VIP, HTTP)) {
                String hello = c.line();
                reached.add(hello.split(" ")[0]);
                assertThat(hello.split(" ")[1]).as("the task sees the LB address").isEqualTo("10.77.0.2");
                assertThat(c.echo("ping")).isEqualTo("ping");
            }
        }
        assertThat(reached).as("round robin: the tasks take turns")
                .isIn(List.of("one", "two", "one", "two"), List.of("two", "one", "two", "one"));
        assertThat(one.tcpAccepted.size() + two.tcpAccepted.size()).isEqualTo(4);
        assertThat(one.tcpAccepted.size()).isEqualTo(2);
        ProxyCounters counters = proxy.counters(VIP).orElseThrow();
        assertThat(counters.connectionsAccepted()).isEqualTo(4);
        assertThat(counters.bytesToBackends()).isGreaterThanOrEqualTo(4 * 5);
    }

    @Test
    void curlThroughTheVipGetsBothBusyboxHttpdsInTurn(@org.junit.jupiter.api.io.TempDir Path www) throws Exception {
        Root.assume("curl", "busybox");
        for (String[] t : new String[][] {{task1, "one"}, {task2, "two"}}) {
            Path dir = Files.createDirectories(www.resolve(t[1]));
            Files.writeString(dir.resolve("index.html"), t[1] + "\n");
            Process httpd = new ProcessBuilder("ip", "netns", "exec", t[0], "busybox", "httpd", "-f", "-p", "8081",
                    "-h", dir.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            toClose.add(() -> {
                httpd.destroy();
                httpd.waitFor(5, TimeUnit.SECONDS);
            });
        }
        NetnsExec inClient = NetnsExec.in(client);
        for (InetAddress task : List.of(TASK1, TASK2)) {
            Poll.until(WAIT, () -> inClient.run("curl", "-fsS", "-m", "2",
                    "http://" + task.getHostAddress() + ":8081/").isSuccess(), "busybox httpd on " + task.getHostAddress());
        }
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            var result = inClient.run("curl", "-fsS", "-m", "5", "http://" + VIP.getHostAddress() + ":8081/");
            assertThat(result.isSuccess()).as("curl via the VIP: %s", result.stderr()).isTrue();
            answers.add(result.stdout().strip());
        }
        assertThat(answers).isIn(List.of("one", "two", "one", "two"), List.of("two", "one", "two", "one"));
    }

    @Test
    void anyPortOfTheVipIsProxiedToTheSamePortOnTheTask() throws Exception {
        Set<String> reached = new HashSet<>();
        for (int i = 0; i < 2; i++) {
            try (Conn c = connect(VIP, 8080)) {
                reached.add(c.line().split(" ")[0]);
            }
        }
        assertThat(reached).containsExactlyInAnyOrder("one", "two");
        assertThat(one.tcpAccepted8080).containsExactly(LB);
        assertThat(two.tcpAccepted8080).containsExactly(LB);
        assertThat(one.tcpAccepted).isEmpty();
    }

    @Test
    void poolUpdatesSteerNewConnectionsAndLeaveEstablishedOnesAlone() throws Exception {
        Conn first = connect(VIP, HTTP);
        toClose.add(first);
        String firstTask = first.line().split(" ")[0];

        // Only the other task stays; the VIP set changes too (a VIP added and one removed).
        InetAddress remaining = firstTask.equals("one") ? TASK2 : TASK1;
        String remainingName = firstTask.equals("one") ? "two" : "one";
        proxy.setBackends(VIP, List.of(remaining));
        steering.setVips(Set.of(ip4(VIP), address4("10.77.0.102")));
        proxy.removeVip(EMPTY_VIP);

        for (int i = 0; i < 3; i++) {
            try (Conn c = connect(VIP, HTTP)) {
                assertThat(c.line()).startsWith(remainingName + " ");
            }
        }
        assertThat(first.echo("still here")).as("established connection survives the updates").isEqualTo("still here");
        Task gone = firstTask.equals("one") ? one : two;
        assertThat(gone.tcpAccepted).hasSize(1);
        first.close();
    }

    @Test
    void halfCloseReachesTheTaskAndItsAnswerStillComesBack() throws Exception {
        try (Conn c = connect(VIP, HTTP)) {
            c.line();
            c.out.write("last words\n".getBytes(StandardCharsets.UTF_8));
            c.out.flush();
            c.socket.shutdownOutput();
            assertThat(c.line()).isEqualTo("last words");
            assertThat(c.in.readLine()).as("the task closed after our FIN").isNull();
        }
        Poll.until(WAIT, () -> proxy.openConnections() == 0, "the proxy to let go of the connection");
    }

    @Test
    void removingAVipClosesItsConnections() throws Exception {
        Conn c = connect(VIP, HTTP);
        toClose.add(c);
        c.line();
        assertThat(proxy.removeVip(VIP)).isTrue();
        assertThatThrownBy(() -> {
            c.line();
            c.echo("anyone?");
        }).isInstanceOf(IOException.class);
        assertThat(proxy.vips()).containsExactly(EMPTY_VIP);
        try (Conn again = connect(VIP, HTTP)) {
            assertThatThrownBy(again::line).isInstanceOf(IOException.class);
        } catch (IOException refused) {
            // reset before the client even read: just as good
        }
        assertThat(proxy.unknownVipCounters().connectionsFailed()).isEqualTo(1);
    }

    @Test
    void aVipWithoutTasksRefusesAtOnceAndDropsDatagrams() throws Exception {
        long start = System.nanoTime();
        assertThatThrownBy(() -> {
            try (Conn c = connect(EMPTY_VIP, HTTP)) {
                c.line();
            }
        }).isInstanceOf(IOException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        ProxyCounters counters = proxy.counters(EMPTY_VIP).orElseThrow();
        assertThat(counters.connectionsFailed()).isEqualTo(1);

        try (DatagramSocket s = udpClient()) {
            byte[] q = "q".getBytes(StandardCharsets.UTF_8);
            s.send(new DatagramPacket(q, q.length, new InetSocketAddress(EMPTY_VIP, DNS)));
            Poll.until(WAIT, () -> counters.datagramsDropped() == 1, "the datagram to be dropped");
        }
        assertThat(counters.flowsCreated()).isZero();
    }

    @Test
    void udpFlowsToTheVipReachBothTasksAndRepliesComeFromTheVip() throws Exception {
        Set<String> reached = new HashSet<>();
        List<DatagramSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                DatagramSocket s = udpClient();
                sockets.add(s);
                for (int round = 0; round < 3; round++) { // the flow sticks to its task
                    DatagramPacket reply = exchange(s, "hello" + round);
                    assertThat(reply.getSocketAddress()).as("reply source").isEqualTo(new InetSocketAddress(VIP, DNS));
                    String text = new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
                    assertThat(text).endsWith(":hello" + round);
                    if (round == 0) {
                        reached.add(text.split(":")[0]);
                    } else {
                        assertThat(reached).contains(text.split(":")[0]);
                    }
                }
            }
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
        assertThat(reached).containsExactlyInAnyOrder("one", "two");
        assertThat(one.udpSenders).containsOnly(LB);
        assertThat(two.udpSenders).containsOnly(LB);
        ProxyCounters counters = proxy.counters(VIP).orElseThrow();
        assertThat(counters.flowsCreated()).isEqualTo(2);
        Poll.until(Duration.ofSeconds(15), () -> counters.flowsActive() == 0, "flows to expire");
        assertThat(counters.flowsExpired()).isEqualTo(2);
    }

    @Test
    void aConfiguredIdleTimeoutCutsQuietConnectionsAndReinstallMovesTheSteering() throws Exception {
        VipProxy idle = VipProxy.start(loops, LB, 0, 0, ProxyOptions.DEFAULTS.withTcpIdleTimeout(Duration.ofMillis(300)));
        toClose.add(idle);
        idle.setBackends(VIP, List.of(TASK1, TASK2));
        steering.install(idle.tcpPort(), idle.udpPort());

        try (Conn c = connect(VIP, HTTP)) {
            c.line();
            long start = System.nanoTime();
            assertThat(c.in.readLine()).as("closed by the proxy once quiet").isNull();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WAIT);
        }
        ProxyCounters counters = idle.counters(VIP).orElseThrow();
        Poll.until(WAIT, () -> counters.connectionsIdleClosed() == 1, "the idle close to be counted");
        assertThat(proxy.counters(VIP).orElseThrow().connectionsAccepted()).as("the first proxy saw nothing").isZero();
    }

    @Test
    void vipsAndBackendsAreIpv4() {
        InetAddress v6 = address("fd00::1");
        assertThatThrownBy(() -> proxy.setBackends(v6, List.of(TASK1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> proxy.setBackends(VIP, List.of(v6))).isInstanceOf(IllegalArgumentException.class);
        assertThat(proxy.backends(VIP)).containsExactly(TASK1, TASK2);
    }

    @Test
    void removingTheSteeringLeavesNothingInTheNamespace() {
        steering.remove();
        assertThat(steering.hasTable()).isFalse();
        assertThat(steering.hasFwmarkRule()).isFalse();
        assertThat(steering.localRoutes()).isEmpty();
        assertThat(steering.vipAddresses()).isEmpty();
        assertThat(NetnsExec.in(net).run("nft", "list", "ruleset").stdout()).doesNotContain("flotilla_vip");
    }

    // --- helpers -------------------------------------------------------------------------------

    private DatagramPacket exchange(DatagramSocket s, String text) throws IOException {
        byte[] q = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(q, q.length, new InetSocketAddress(VIP, DNS)));
        DatagramPacket reply = new DatagramPacket(new byte[512], 512);
        s.receive(reply);
        return reply;
    }

    private DatagramSocket udpClient() throws Exception {
        DatagramSocket s = inNamespace(client, () -> new DatagramSocket(new InetSocketAddress(CLIENT, 0)));
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    private Conn connect(InetAddress vip, int port) throws Exception {
        Socket s = inNamespace(client, () -> {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(vip, port), (int) WAIT.toMillis());
            return socket;
        });
        s.setSoTimeout((int) WAIT.toMillis());
        return new Conn(s);
    }

    /** A client connection: reads lines, echoes. */
    private static final class Conn implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
        }

        String line() throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new SocketException("closed by the proxy");
            }
            return line;
        }

        String echo(String text) throws IOException {
            out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return line();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * A task: TCP on 80 and 8080 (sends "NAME PEER-IP\n", then echoes lines), UDP on 5353 (answers
     * "NAME:payload"). Its sockets are created on a thread inside the task's namespace.
     */
    private static final class Task implements AutoCloseable {
        final String name;
        final List<InetAddress> tcpAccepted = new CopyOnWriteArrayList<>();
        final List<InetAddress> tcpAccepted8080 = new CopyOnWriteArrayList<>();
        final Set<InetAddress> udpSenders = ConcurrentHashMap.newKeySet();
        private final ServerSocket http;
        private final ServerSocket alt;
        private final DatagramSocket dns;
        private final ExecutorService threads = Executors.newCachedThreadPool();
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        Task(String name, String ns) throws Exception {
            this.name = name;
            this.http = inNamespace(ns, () -> new ServerSocket(HTTP));
            this.alt = inNamespace(ns, () -> new ServerSocket(8080));
            this.dns = inNamespace(ns, () -> new DatagramSocket(DNS));
            threads.execute(() -> accept(http, tcpAccepted));
            threads.execute(() -> accept(alt, tcpAccepted8080));
            threads.execute(this::answer);
        }

        private void accept(ServerSocket server, List<InetAddress> log) {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    log.add(s.getInetAddress());
                    open.add(s);
                    threads.execute(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                OutputStream out = s.getOutputStream();
                out.write((name + " " + s.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException ignored) {
                // the client went away
            } finally {
                open.remove(s);
            }
        }

        private void answer() {
            byte[] buf = new byte[2048];
            while (!dns.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    dns.receive(p);
                    udpSenders.add(p.getAddress());
                    byte[] reply = (name + ":" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                    dns.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            http.close();
            alt.close();
            dns.close();
            for (Socket s : open) {
                s.close();
            }
            threads.shutdownNow();
        }
    }

    /** Runs {@code body} on a fresh thread inside namespace {@code ns}: sockets it creates live there. */
    private static <T> T inNamespace(String ns, Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (NetNs handle = NetNs.open(ns)) {
                handle.enter();
                result.set(body.call());
            } catch (Exception e) {
                failure.set(e);
            }
        }, "in-" + ns);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static Ipv4Address address4(String text) {
        return Ipv4Address.parse(text);
    }

    private static Ipv4Address ip4(InetAddress a) {
        return Ipv4Address.parse(a.getHostAddress());
    }
}
