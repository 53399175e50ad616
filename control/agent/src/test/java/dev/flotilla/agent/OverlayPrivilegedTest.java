package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.link.ExecResult;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.Netns;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.linux.Native;
import dev.flotilla.linux.NetNs;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Poll;
import dev.flotilla.testkit.Root;
import dev.flotilla.vxlan.DropReason;
import dev.flotilla.vxlan.Vtep;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes in one JVM, each an underlay namespace with its own {@link SandboxNetwork} and
 * {@link Overlay}, programmed from one store: an overlay network (VNI 4097, 10.0.1.0/24) with a
 * task on each node. Skipped unless root.
 *
 * <pre>
 *  task a eth0 10.0.1.2 -- br0 [fl-..a-net] vtep0 ~ Overlay A [ov-X-a] 198.18.77.1 == ul0 (MTU 1400) ==
 *  198.18.77.2 [ov-X-b] Overlay B ~ vtep0 [fl-..b-net] br0 -- eth0 10.0.1.3 task b
 * </pre>
 *
 * The underlay MTU is 1400 on purpose: every overlay link must come out at 1350.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OverlayPrivilegedTest {

    private static final int UNDERLAY_MTU = 1400;
    private static final int OVERLAY_MTU = UNDERLAY_MTU - 50;
    private static final int VNI = 4097;
    private static final Ipv4Address UNDERLAY_A = Ipv4Address.parse("198.18.77.1");
    private static final Ipv4Address UNDERLAY_B = Ipv4Address.parse("198.18.77.2");
    private static final Ipv4Address TASK_A = Ipv4Address.parse("10.0.1.2");
    private static final Ipv4Address TASK_B = Ipv4Address.parse("10.0.1.3");
    private static final Pattern MTU = Pattern.compile(" mtu (\\d+) ");

    private final NamespaceLab lab = new NamespaceLab("ov");
    /** The lab's 6 hex digits: ids and names of this run share them, so a leftover is recognisable. */
    private final String hex = lab.prefix().substring("ov-".length());
    private final String nodeA = "ovnodea" + hex + "000000000000";
    private final String nodeB = "ovnodeb" + hex + "000000000000";
    private final String netId = "ovnet" + hex + "00000000000000";
    private final String taskIdA = "ovtaska" + hex + "000000000000";
    private final String taskIdB = "ovtaskb" + hex + "000000000000";
    private final StoreFixtures store = new StoreFixtures();

    private String hostA;
    private String hostB;
    private SandboxNetwork sandboxA;
    private SandboxNetwork sandboxB;
    private MultiThreadIoEventLoopGroup loopsA;
    private MultiThreadIoEventLoopGroup loopsB;
    private Overlay overlayA;
    private Overlay overlayB;
    private String taskNsA;
    private String taskNsB;

    @BeforeEach
    void twoNodes() {
        Root.assume("ip", "busybox");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
        hostA = namespace("a");
        hostB = namespace("b");
        LinkConfig a = LinkConfig.in(hostA);
        a.addVethPair("ul0", "ulpeer");
        a.moveToNetns("ulpeer", hostB, "ul0");
        LinkConfig b = LinkConfig.in(hostB);
        a.setMtu("ul0", UNDERLAY_MTU);
        b.setMtu("ul0", UNDERLAY_MTU);
        a.addAddress("ul0", UNDERLAY_A, 24);
        b.addAddress("ul0", UNDERLAY_B, 24);
        a.setUp("ul0");
        b.setUp("ul0");

        sandboxA = new SandboxNetwork("ov" + hex + "a", hostA);
        sandboxB = new SandboxNetwork("ov" + hex + "b", hostB);
        sandboxA.setUpNode();
        sandboxB.setUpNode();
        loopsA = NetnsEventLoops.inNamespace(hostA, 1);
        loopsB = NetnsEventLoops.inNamespace(hostB, 2);
        overlayA = new Overlay(loopsA, sandboxA);
        overlayB = new Overlay(loopsB, sandboxB);

        store.commit(StoreAction.newBuilder().setCluster(Cluster.newBuilder().setId("ovcluster" + hex)
                        .setMeta(Meta.getDefaultInstance()).setDataPathPort(4789)).build(),
                Actions.create(StoreFixtures.node(nodeA, UNDERLAY_A.toString(), "")),
                Actions.create(StoreFixtures.node(nodeB, UNDERLAY_B.toString(), "")),
                Actions.create(StoreFixtures.network(netId, "backend", VNI, "10.0.1.0/24", false)),
                Actions.create(StoreFixtures.task(taskIdA, nodeA, TaskState.RUNNING, netId, TASK_A + "/24")),
                Actions.create(StoreFixtures.task(taskIdB, nodeB, TaskState.RUNNING, netId, TASK_B + "/24")));
    }

    @AfterEach
    void cleanUp() {
        List<Runnable> steps = new ArrayList<>();
        steps.add(() -> closeQuietly(overlayA));
        steps.add(() -> closeQuietly(overlayB));
        steps.add(() -> shutdown(loopsA));
        steps.add(() -> shutdown(loopsB));
        steps.add(() -> {
            if (sandboxA != null) {
                sandboxA.removeAll();
            }
        });
        steps.add(() -> {
            if (sandboxB != null) {
                sandboxB.removeAll();
            }
        });
        steps.add(lab::close);
        // Whatever a half-finished step left under this run's own prefixes, and nothing else.
        steps.add(() -> Netns.list().stream()
                .filter(ns -> ns.startsWith("fl-ov" + hex) || ns.startsWith("ov-" + hex + "-"))
                .forEach(Netns::delete));
        RuntimeException first = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** What the agent's pass does on a node: VTEP bound (MTU known), network namespace, TAP and tables. */
    private void bringUp(SandboxNetwork sandbox, Overlay overlay, String nodeId) {
        StoreView view = store.view();
        assertThat(overlay.prepare(view, nodeId)).as("VTEP bound").isTrue();
        sandbox.ensureNetwork(netId, null, 0);
        overlay.update(view, nodeId, Set.of(netId));
    }

    @Test
    void tasksOnTwoNodesTalkOverTheOverlayUntilOneLeavesTheStore() throws Exception {
        bringUp(sandboxA, overlayA, nodeA);
        bringUp(sandboxB, overlayB, nodeB);
        taskNsA = sandboxA.createTaskSandbox(taskIdA, List.of(new SandboxNetwork.Attachment(netId, TASK_A, 24)));
        taskNsB = sandboxB.createTaskSandbox(taskIdB, List.of(new SandboxNetwork.Attachment(netId, TASK_B, 24)));

        // The MTU rule: underlay 1400 -> every overlay link 1350.
        String netNsA = sandboxA.networkNetns(netId);
        assertThat(sandboxA.overlayMtu()).isEqualTo(OVERLAY_MTU);
        assertThat(mtu(netNsA, Overlay.TAP)).isEqualTo(OVERLAY_MTU);
        assertThat(linkLine(netNsA, Overlay.TAP)).contains("master br0").contains("UP");
        assertThat(mtu(taskNsA, "eth0")).isEqualTo(OVERLAY_MTU);
        assertThat(mtu(sandboxB.networkNetns(netId), Overlay.TAP)).isEqualTo(OVERLAY_MTU);
        assertThat(mtu(taskNsB, "eth0")).isEqualTo(OVERLAY_MTU);

        Vtep vtepA = overlayA.vtep().orElseThrow();
        Vtep vtepB = overlayB.vtep().orElseThrow();
        assertThat(overlayA.attachedNetworks()).containsEntry(netId, VNI);
        assertThat(vtepA.peerFilter().peers()).containsExactly(UNDERLAY_B);
        assertThat(vtepB.peerFilter().peers()).containsExactly(UNDERLAY_A);
        assertThat(vtepA.localAddress().getAddress()).isEqualTo(UNDERLAY_A.toInetAddress());
        assertThat(vtepA.localAddress().getPort()).isEqualTo(4789);

        // ICMP both ways.
        Poll.until(Duration.ofSeconds(10), () -> ping(taskNsA, TASK_B), "ping a -> b");
        Poll.until(Duration.ofSeconds(10), () -> ping(taskNsB, TASK_A), "ping b -> a");
        assertThat(vtepA.counters().arpReplies()).isPositive();
        assertThat(vtepB.counters().arpReplies()).isPositive();

        // TCP both ways, full-size segments; UDP both ways, a full-size datagram one way.
        tcpEcho(taskNsA, taskNsB, TASK_B, 5101, 512 * 1024);
        tcpEcho(taskNsB, taskNsA, TASK_A, 5102, 128 * 1024);
        udpEcho(taskNsA, taskNsB, TASK_B, 5103, OVERLAY_MTU - 28);
        udpEcho(taskNsB, taskNsA, TASK_A, 5104, 100);
        assertThat(vtepA.counters().txPackets()).isPositive();
        assertThat(vtepB.counters().rxPackets()).isPositive();
        assertThat(vtepA.counters().drops(DropReason.OVERSIZE)).isZero();
        assertThat(vtepB.counters().drops(DropReason.OVERSIZE)).isZero();
        assertThat(vtepA.counters().drops(DropReason.NOT_A_PEER)).isZero();
        assertThat(vtepB.counters().drops(DropReason.NOT_A_PEER)).isZero();

        // Task b leaves the store; its sandbox stays on node b, so only the overlay can cut it off.
        StoreView after = store.commit(Actions.remove(store.view().task(taskIdB).orElseThrow()));
        overlayA.update(after, nodeA, Set.of(netId));
        overlayB.update(after, nodeB, Set.of(netId));
        assertThat(vtepA.forwardingDb().table(VNI).endpoints()).extracting(e -> e.ip()).containsExactly(TASK_A);
        NetnsExec.in(taskNsA).run("ip", "neigh", "flush", "all").checked();
        long unanswered = vtepA.counters().drops(DropReason.ARP_UNKNOWN_TARGET);
        Poll.until(Duration.ofSeconds(10), () -> !ping(taskNsA, TASK_B), "b unreachable once gone from the store");
        assertThat(vtepA.counters().drops(DropReason.ARP_UNKNOWN_TARGET)).as("ARP for b unanswered")
                .isGreaterThan(unanswered);

        // Node b no longer has the network: its TAP goes.
        overlayB.update(after, nodeB, Set.of());
        assertThat(overlayB.attachedNetworks()).isEmpty();
        String netNsB = sandboxB.networkNetns(netId);
        Poll.until(Duration.ofSeconds(5), () -> !LinkConfig.in(netNsB).linkExists(Overlay.TAP), "vtep0 deleted");
    }

    @Test
    void theIngressNetworkJoinsTheNodesOwnLegsAcrossTheOverlay() throws Exception {
        String ingressId = "oving" + hex + "00000000000000";
        StoreView view = store.view();
        view = store.commit(Actions.create(StoreFixtures.network(ingressId, "ingress", 4096, "10.0.0.0/24", true)),
                Actions.update(view.node(nodeA).orElseThrow().toBuilder().setIngressAddress("10.0.0.2/24").build()),
                Actions.update(view.node(nodeB).orElseThrow().toBuilder().setIngressAddress("10.0.0.3/24").build()));
        // As the agent's pass does: VTEP bound, then the namespace with the node's leg, then the TAP.
        assertThat(overlayA.prepare(view, nodeA)).isTrue();
        sandboxA.ensureNetwork(ingressId, Ipv4Address.parse("10.0.0.2"), 24);
        overlayA.update(view, nodeA, Set.of(ingressId));
        assertThat(overlayB.prepare(view, nodeB)).isTrue();
        sandboxB.ensureNetwork(ingressId, Ipv4Address.parse("10.0.0.3"), 24);
        overlayB.update(view, nodeB, Set.of(ingressId));

        // flingress0, made after the VTEP learnt the underlay, has the overlay MTU.
        assertThat(mtu(hostA, SandboxNetwork.INGRESS_LINK)).isEqualTo(OVERLAY_MTU);
        assertThat(mtu(sandboxB.networkNetns(ingressId), Overlay.TAP)).isEqualTo(OVERLAY_MTU);
        assertThat(overlayA.vtep().orElseThrow().forwardingDb().table(4096).endpoints())
                .extracting(e -> e.ip() + (e.local() ? " local" : " via " + e.vtep()))
                .containsExactly("10.0.0.2 local", "10.0.0.3 via " + UNDERLAY_B);
        // The routing mesh's source address on one node reaches the other's.
        Poll.until(Duration.ofSeconds(10), () -> ping(hostA, Ipv4Address.parse("10.0.0.3")), "ingress a -> b");
        Poll.until(Duration.ofSeconds(10), () -> ping(hostB, Ipv4Address.parse("10.0.0.2")), "ingress b -> a");
    }

    @Test
    void theVtepWaitsForTheNodesAddressAndBindsAgainWhenThePortChanges() throws Exception {
        StoreView unknown = store.commit(Actions.update(store.view().node(nodeA).orElseThrow().toBuilder().setAddr("").build()));
        assertThat(overlayA.prepare(unknown, nodeA)).isFalse();
        overlayA.update(unknown, nodeA, Set.of());
        assertThat(overlayA.vtep()).isEmpty();

        // An address no interface of this node holds: the bind fails, is logged, and waits.
        StoreView wrong = store.commit(Actions.update(unknown.node(nodeA).orElseThrow().toBuilder()
                .setAddr("198.18.77.9").build()));
        assertThat(overlayA.prepare(wrong, nodeA)).isFalse();
        assertThat(overlayA.vtep()).isEmpty();

        StoreView known = store.commit(Actions.update(wrong.node(nodeA).orElseThrow().toBuilder()
                .setAddr(UNDERLAY_A.toString()).build()));
        sandboxA.ensureNetwork(netId, null, 0);
        overlayA.update(known, nodeA, Set.of(netId));
        Vtep first = overlayA.vtep().orElseThrow();
        assertThat(first.localAddress().getPort()).isEqualTo(4789);
        assertThat(overlayA.attachedNetworks()).containsEntry(netId, VNI);

        Cluster cluster = known.cluster().orElseThrow();
        StoreView moved = store.commit(StoreAction.newBuilder().setKind(dev.flotilla.api.raft.v1.ActionKind.ACTION_UPDATE)
                .setCluster(cluster.toBuilder().setDataPathPort(7789)).build());
        overlayA.update(moved, nodeA, Set.of(netId));
        Vtep second = overlayA.vtep().orElseThrow();
        assertThat(second).isNotSameAs(first);
        assertThat(second.localAddress().getPort()).isEqualTo(7789);
        assertThat(overlayA.attachedNetworks()).as("re-attached on the new VTEP").containsEntry(netId, VNI);
        assertThat(mtu(sandboxA.networkNetns(netId), Overlay.TAP)).isEqualTo(OVERLAY_MTU);
    }

    private String namespace(String role) {
        String name = lab.namespace(role);
        LinkConfig.in(name).setUp("lo");
        return name;
    }

    private static boolean ping(String netns, Ipv4Address target) {
        ExecResult r = NetnsExec.in(netns).run("busybox", "ping", "-c", "1", "-W", "2", target.toString());
        return r.exitCode() == 0;
    }

    private static String linkLine(String netns, String link) {
        return NetnsExec.in(netns).run("ip", "-o", "link", "show", "dev", link).checked().stdout();
    }

    private static int mtu(String netns, String link) {
        Matcher m = MTU.matcher(linkLine(netns, link));
        assertThat(m.find()).as("mtu of %s in %s", link, netns).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** Sends {@code size} random bytes over TCP from clientNs to server:port in serverNs and checks the echo. */
    private static void tcpEcho(String clientNs, String serverNs, Ipv4Address server, int port, int size) throws Exception {
        try (ServerSocket listener = await(inNamespace(serverNs, () -> {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(server.toInetAddress(), port));
            socket.setSoTimeout(20_000);
            return socket;
        }))) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (Socket peer = listener.accept()) {
                    peer.getInputStream().transferTo(peer.getOutputStream());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] sent = new byte[size];
            new Random(port).nextBytes(sent);
            try (Socket client = await(inNamespace(clientNs, () -> {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(server.toInetAddress(), port), 10_000);
                socket.setSoTimeout(20_000);
                return socket;
            }))) {
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        OutputStream out = client.getOutputStream();
                        out.write(sent);
                        client.shutdownOutput();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                InputStream in = client.getInputStream();
                byte[] received = in.readAllBytes();
                await(writer);
                assertThat(received.length).isEqualTo(size);
                assertThat(Arrays.equals(received, sent)).as("echoed bytes equal").isTrue();
            }
            await(echo);
        }
    }

    /** A UDP datagram of {@code size} bytes to server:port, echoed back; resent each second until a deadline. */
    private static void udpEcho(String clientNs, String serverNs, Ipv4Address server, int port, int size) throws Exception {
        DatagramSocket serverSocket = await(inNamespace(serverNs, () -> {
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress(server.toInetAddress(), port));
            socket.setSoTimeout(20_000);
            return socket;
        }));
        try {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try {
                    while (true) {
                        DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
                        serverSocket.receive(packet);
                        serverSocket.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
                    }
                } catch (Exception e) {
                    // closed by the test, or no more datagrams
                }
            });
            byte[] sent = new byte[size];
            new Random(port).nextBytes(sent);
            try (DatagramSocket client = await(inNamespace(clientNs, () -> {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(0));
                socket.setSoTimeout(1_000);
                return socket;
            }))) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
                boolean answered = false;
                while (!answered && System.nanoTime() < deadline) {
                    client.send(new DatagramPacket(sent, sent.length, new InetSocketAddress(server.toInetAddress(), port)));
                    try {
                        client.receive(reply);
                        answered = true;
                    } catch (SocketTimeoutException e) {
                        // resend
                    }
                }
                assertThat(answered).as("UDP echo from %s:%d", server, port).isTrue();
                assertThat(Arrays.copyOf(reply.getData(), reply.getLength())).isEqualTo(sent);
            }
            serverSocket.close(); // ends the echo loop
            echo.get(5, TimeUnit.SECONDS);
        } finally {
            serverSocket.close();
        }
    }

    /** Runs {@code body} on a fresh thread that entered {@code netns} (sockets it creates live there). */
    private static <T> CompletableFuture<T> inNamespace(String netns, Callable<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try (NetNs ns = NetNs.open(netns)) {
                ns.enter();
                result.complete(body.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "ns-" + netns);
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    /** Polls {@code condition} until it holds or {@code seconds} pass. */
    private static void closeQuietly(Overlay overlay) {
        if (overlay != null) {
            overlay.close();
        }
    }

    private static void shutdown(MultiThreadIoEventLoopGroup loops) {
        if (loops != null) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
