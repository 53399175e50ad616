package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.link.ExecResult;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.testkit.Poll;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two Flotilla VTEPs in one JVM, each in its own node namespace, joined by a veth underlay; one
 * overlay network (VNI 4096) with a task on each side. Skipped unless root.
 *
 * <pre>
 *  task-a eth0 10.0.0.2 -- br0 [net-a] vtep0 ~ VTEP A [node-a] 198.18.X.1 == ul0 ==
 *  198.18.X.2 [node-b] VTEP B ~ vtep0 [net-b] br0 -- eth0 10.0.0.3 task-b
 * </pre>
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VtepPrivilegedTest {

    private static final int VNI = 4096;
    private static final Ipv4Address TASK_A = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address TASK_B = Ipv4Address.parse("10.0.0.3");

    private Netlab lab;
    private MultiThreadIoEventLoopGroup loopsA;
    private MultiThreadIoEventLoopGroup loopsB;
    private Vtep vtepA;
    private Vtep vtepB;
    private String nodeA;
    private String nodeB;
    private String netA;
    private String netB;
    private String taskA;
    private String taskB;

    @BeforeEach
    void topology() {
        Netlab.assumePrivileged();
        lab = new Netlab();
        nodeA = lab.namespace("na");
        nodeB = lab.namespace("nb");
        netA = lab.namespace("wa");
        netB = lab.namespace("wb");
        taskA = lab.namespace("ta");
        taskB = lab.namespace("tb");
        lab.underlay(nodeA, 1, nodeB, 2);
        lab.bridge(netA);
        lab.bridge(netB);
        lab.task(taskA, netA, TASK_A);
        lab.task(taskB, netB, TASK_B);

        // A with two lanes (SO_REUSEPORT, TAP on one loop, receives on either), B with one.
        loopsA = NetnsEventLoops.inNamespace(nodeA, 2);
        loopsB = NetnsEventLoops.inNamespace(nodeB, 1);
        vtepA = Vtep.bind(loopsA, VtepConfig.defaults());
        vtepB = Vtep.bind(loopsB, VtepConfig.defaults());
        vtepA.attach(VNI, netA, "vtep0");
        vtepB.attach(VNI, netB, "vtep0");
        lab.plugTap(netA, "vtep0");
        lab.plugTap(netB, "vtep0");

        vtepA.setPeers(List.of(lab.underlay(2)));
        vtepB.setPeers(List.of(lab.underlay(1)));
        vtepA.setEndpoints(VNI, List.of(Endpoint.local(TASK_A), Endpoint.remote(TASK_B, lab.underlay(2))));
        vtepB.setEndpoints(VNI, List.of(Endpoint.remote(TASK_A, lab.underlay(1)), Endpoint.local(TASK_B)));
    }

    @AfterEach
    void cleanUp() {
        try {
            closeQuietly(vtepA);
            closeQuietly(vtepB);
            if (loopsA != null) {
                loopsA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
            if (loopsB != null) {
                loopsB.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }

    @Test
    void pingTcpAndUdpCrossTheOverlayBothWays() throws Exception {
        ExecResult aToB = Netlab.ping(taskA, TASK_B);
        assertThat(aToB.exitCode()).as("ping a->b: %s %s", aToB.stdout(), aToB.stderr()).isZero();
        ExecResult bToA = Netlab.ping(taskB, TASK_A);
        assertThat(bToA.exitCode()).as("ping b->a: %s %s", bToA.stdout(), bToA.stderr()).isZero();

        // ARP went no further than the local VTEP: each side answered its task's request itself.
        assertThat(vtepA.counters().arpReplies()).isPositive();
        assertThat(vtepB.counters().arpReplies()).isPositive();

        // Full-size segments: task MTU 1450 = underlay 1500 - 50, nothing fragmented or lost.
        Traffic.tcpEcho(taskA, taskB, TASK_B, 5001, 1 << 20);
        Traffic.tcpEcho(taskB, taskA, TASK_A, 5002, 256 * 1024);
        Traffic.udpEcho(taskA, taskB, TASK_B, 5003, Netlab.TASK_MTU - 28);
        Traffic.udpEcho(taskB, taskA, TASK_A, 5004, 100);

        assertThat(vtepA.counters().txPackets()).isPositive();
        assertThat(vtepA.counters().rxPackets()).isPositive();
        assertThat(vtepA.counters().drops(DropReason.OVERSIZE)).isZero();
        assertThat(vtepB.counters().drops(DropReason.OVERSIZE)).isZero();
        assertThat(vtepA.counters().drops(DropReason.NOT_A_PEER)).isZero();
    }

    @Test
    void unknownTargetsGetNoAnswerAndStrangersAreDropped() throws Exception {
        ExecResult nobody = Netlab.exec(taskA, "busybox", "ping", "-c", "1", "-W", "1", "10.0.0.9");
        assertThat(nobody.exitCode()).isNotZero();
        assertThat(vtepA.counters().drops(DropReason.ARP_UNKNOWN_TARGET)).isPositive();
        assertThat(vtepB.counters().rxPackets()).as("nothing flooded to B").isZero();

        // B no longer lists A as a cluster node: A's traffic is dropped at B's door.
        vtepB.setPeers(List.of());
        ExecResult refused = Netlab.exec(taskA, "busybox", "ping", "-c", "2", "-W", "1", TASK_B.toString());
        assertThat(refused.exitCode()).isNotZero();
        assertThat(vtepB.counters().drops(DropReason.NOT_A_PEER)).isPositive();
        vtepB.setPeers(List.of(lab.underlay(1)));
        assertThat(Netlab.ping(taskA, TASK_B).exitCode()).isZero();
    }

    @Test
    void detachDeletesTheTapAndStopsTheNetwork() throws Exception {
        assertThat(Netlab.ping(taskA, TASK_B).exitCode()).isZero();
        vtepB.detach(VNI);
        Poll.until(Duration.ofSeconds(5), () -> !LinkConfig.in(netB).linkExists("vtep0"),
                "closing the descriptor deletes the TAP");
        ExecResult cut = Netlab.exec(taskA, "busybox", "ping", "-c", "1", "-W", "1", TASK_B.toString());
        assertThat(cut.exitCode()).isNotZero();
        Poll.until(Duration.ofSeconds(5), () -> vtepB.counters().drops(DropReason.UNKNOWN_VNI) > 0, "an unknown-VNI drop counted");

        vtepB.attach(VNI, netB, "vtep0");
        lab.plugTap(netB, "vtep0");
        assertThat(Netlab.ping(taskA, TASK_B).exitCode()).isZero();
    }

    private static void closeQuietly(Vtep vtep) {
        if (vtep != null) {
            vtep.close();
        }
    }
}
