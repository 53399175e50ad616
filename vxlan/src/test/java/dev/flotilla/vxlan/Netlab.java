package dev.flotilla.vxlan;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.dataplane.link.ExecResult;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.linux.Native;
import dev.flotilla.linux.NetNs;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Root;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test topology builder for VTEPs: underlays, bridges and tasks in namespaces named
 * {@code ft-vx-<6 hex>-<role>}, which the testkit's {@link NamespaceLab} deletes in {@link #close()}
 * even when a test failed half way.
 */
final class Netlab implements AutoCloseable {

    static final int UNDERLAY_MTU = 1500;
    static final int TASK_MTU = UNDERLAY_MTU - 50;

    private final NamespaceLab namespaces = new NamespaceLab("ft-vx");
    /** Third octet of the underlay 198.18.X.0/24. */
    final int subnet = ThreadLocalRandom.current().nextInt(0, 256);

    static void assumePrivileged() {
        Root.assume("ip", "busybox");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
    }

    Ipv4Address underlay(int host) {
        return Ipv4Address.of(198, 18, subnet, host);
    }

    /** Creates namespace {@code prefix-role} with lo up. */
    String namespace(String role) {
        String name = namespaces.namespace(role);
        LinkConfig.in(name).setUp("lo");
        return name;
    }

    /** veth {@code ul0} in both namespaces, 198.18.X.hostA/24 and .hostB/24, up. */
    void underlay(String nodeA, int hostA, String nodeB, int hostB) {
        LinkConfig a = LinkConfig.in(nodeA);
        a.addVethPair("ul0", "ulpeer");
        a.moveToNetns("ulpeer", nodeB, "ul0");
        a.addAddress("ul0", underlay(hostA), 24);
        a.setMtu("ul0", UNDERLAY_MTU);
        a.setUp("ul0");
        LinkConfig b = LinkConfig.in(nodeB);
        b.addAddress("ul0", underlay(hostB), 24);
        b.setMtu("ul0", UNDERLAY_MTU);
        b.setUp("ul0");
    }

    /** br0 in {@code netns}, up. */
    void bridge(String netns) {
        LinkConfig links = LinkConfig.in(netns);
        links.addBridge("br0");
        links.setUp("br0");
    }

    /** A task namespace whose eth0 (address/24, Docker MAC, task MTU) is a veth on {@code netns}'s br0. */
    void task(String taskNs, String netns, Ipv4Address address) {
        String port = "vt" + address.octet(3);
        LinkConfig net = LinkConfig.in(netns);
        net.addVethPair(port, "tmp" + address.octet(3));
        net.moveToNetns("tmp" + address.octet(3), taskNs, "eth0");
        net.setMtu(port, TASK_MTU);
        net.setMaster(port, "br0");
        net.setUp(port);
        LinkConfig task = LinkConfig.in(taskNs);
        task.setMacAddress("eth0", MacAddress.fromIpv4(address));
        task.setMtu("eth0", TASK_MTU);
        task.addAddress("eth0", address, 24);
        task.setUp("eth0");
    }

    /** Enslaves a TAP the VTEP created to br0 with the task MTU, up. */
    void plugTap(String netns, String tap) {
        LinkConfig links = LinkConfig.in(netns);
        links.setMtu(tap, TASK_MTU);
        links.setMaster(tap, "br0");
        links.setUp(tap);
    }

    static ExecResult exec(String netns, String... argv) {
        return NetnsExec.in(netns).run(argv);
    }

    static ExecResult ping(String netns, Ipv4Address target) {
        return exec(netns, "busybox", "ping", "-c", "3", "-W", "2", target.toString());
    }

    /** Runs {@code body} on a fresh thread that entered {@code netns} (sockets it creates live there). */
    static <T> CompletableFuture<T> inNamespace(String netns, Callable<T> body) {
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

    static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        namespaces.close();
    }
}
