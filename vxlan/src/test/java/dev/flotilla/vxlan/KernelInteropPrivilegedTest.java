package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.dataplane.link.ExecResult;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.testkit.Poll;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Proof of the wire format: Flotilla's VTEP on side A, the Linux kernel's own VXLAN driver on side
 * B (static FDB, no learning), one overlay between them, and the underlay captured and decoded.
 *
 * <pre>
 *  task-a 10.0.0.2 -- br0 [net-a] vtep0 ~ Flotilla VTEP [node-a] 198.18.X.1 == ul0 ==
 *  198.18.X.2 [node-b] vx0 (kernel, VNI 4096, nolearning) -- br0 -- eth0 10.0.0.3 task-b
 * </pre>
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KernelInteropPrivilegedTest {

    private static final int VNI = 4096;
    private static final Ipv4Address TASK_A = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address TASK_B = Ipv4Address.parse("10.0.0.3");

    private Netlab lab;
    private MultiThreadIoEventLoopGroup loopsA;
    private Vtep vtepA;
    private String nodeA;
    private String nodeB;
    private String taskA;
    private String taskB;

    @BeforeEach
    void topology() {
        Netlab.assumePrivileged();
        lab = new Netlab();
        nodeA = lab.namespace("na");
        nodeB = lab.namespace("nb");
        String netA = lab.namespace("wa");
        taskA = lab.namespace("ta");
        taskB = lab.namespace("tb");
        lab.underlay(nodeA, 1, nodeB, 2);
        lab.bridge(netA);
        lab.bridge(nodeB);
        lab.task(taskA, netA, TASK_A);
        lab.task(taskB, nodeB, TASK_B);

        // Side B: the kernel's VTEP, told statically where 10.0.0.2's MAC lives.
        run(null, "ip", "-n", nodeB, "link", "add", "vx0", "type", "vxlan", "id", Integer.toString(VNI),
                "dstport", "4789", "local", lab.underlay(2).toString(), "nolearning");
        LinkConfig.in(nodeB).setMtu("vx0", Netlab.TASK_MTU);
        LinkConfig.in(nodeB).setMaster("vx0", "br0");
        LinkConfig.in(nodeB).setUp("vx0");
        run(null, "bridge", "-n", nodeB, "fdb", "append", MacAddress.fromIpv4(TASK_A).toString(), "dev", "vx0",
                "dst", lab.underlay(1).toString());
        // The kernel floods no ARP (no all-zeros FDB entry), so task-b gets a static neighbour.
        run(taskB, "ip", "neigh", "add", TASK_A.toString(), "lladdr", MacAddress.fromIpv4(TASK_A).toString(),
                "dev", "eth0", "nud", "permanent");

        // Side A: Flotilla.
        loopsA = NetnsEventLoops.inNamespace(nodeA, 1);
        vtepA = Vtep.bind(loopsA, VtepConfig.defaults());
        vtepA.attach(VNI, netA, "vtep0");
        lab.plugTap(netA, "vtep0");
        vtepA.setPeers(List.of(lab.underlay(2)));
        vtepA.setEndpoints(VNI, List.of(Endpoint.local(TASK_A), Endpoint.remote(TASK_B, lab.underlay(2))));
    }

    @AfterEach
    void cleanUp() {
        try {
            if (vtepA != null) {
                vtepA.close();
            }
            if (loopsA != null) {
                loopsA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }

    @Test
    void pingCrossesBothWays() {
        ExecResult aToB = Netlab.ping(taskA, TASK_B);
        assertThat(aToB.exitCode()).as("Flotilla -> kernel: %s %s", aToB.stdout(), aToB.stderr()).isZero();
        ExecResult bToA = Netlab.ping(taskB, TASK_A);
        assertThat(bToA.exitCode()).as("kernel -> Flotilla: %s %s", bToA.stdout(), bToA.stderr()).isZero();
        assertThat(vtepA.counters().rxPackets()).isGreaterThanOrEqualTo(6);
        assertThat(vtepA.counters().drops(DropReason.BAD_FLAGS)).as("kernel headers accepted").isZero();
    }

    /**
     * A veth underlay hands the kernel VTEP's packets over with the inner TCP/UDP checksum still
     * to be filled in (CHECKSUM_PARTIAL survives veth; a UDP socket cannot tell), which a real NIC
     * would have done. So B's underlay computes checksums in software here, as a wire would.
     */
    @Test
    void tcpAndUdpCrossBothWays() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ethtool")), "needs ethtool to turn off veth tx checksum offload");
        run(nodeB, "ethtool", "-K", "ul0", "tx", "off");

        Traffic.tcpEcho(taskA, taskB, TASK_B, 5001, 1 << 20);
        Traffic.tcpEcho(taskB, taskA, TASK_A, 5002, 256 * 1024);
        Traffic.udpEcho(taskB, taskA, TASK_A, 5003, Netlab.TASK_MTU - 28);
        Traffic.udpEcho(taskA, taskB, TASK_B, 5004, 100);
        assertThat(vtepA.counters().drops(DropReason.OVERSIZE)).isZero();
    }

    @Test
    void bothDirectionsOnTheWireAreRfc7348() throws Exception {
        List<UnderlayCapture.VxlanPacket> packets;
        try (UnderlayCapture capture = UnderlayCapture.start(nodeA, "ul0")) {
            assertThat(Netlab.ping(taskA, TASK_B).exitCode()).isZero();
            Poll.until(Duration.ofSeconds(5), () -> capture.packets().size() >= 6, "6 packets captured on the underlay");
            packets = List.copyOf(capture.packets());
        }
        List<UnderlayCapture.VxlanPacket> fromFlotilla = packets.stream()
                .filter(p -> p.outerSrc() == lab.underlay(1).value()).toList();
        List<UnderlayCapture.VxlanPacket> fromKernel = packets.stream()
                .filter(p -> p.outerSrc() == lab.underlay(2).value()).toList();
        assertThat(fromFlotilla).hasSizeGreaterThanOrEqualTo(3);
        assertThat(fromKernel).hasSizeGreaterThanOrEqualTo(3);

        for (UnderlayCapture.VxlanPacket p : packets) {
            assertThat(p.udpDstPort()).isEqualTo(4789);
            assertThat(p.flags()).as("flags: I bit only").isEqualTo(0x08);
            assertThat(p.reserved1()).as("24 reserved bits after the flags").isZero();
            assertThat(p.vni()).isEqualTo(VNI);
            assertThat(p.reserved2()).as("8 reserved bits after the VNI").isZero();
            assertThat(p.innerEtherType()).as("only IPv4 crosses: ARP is answered locally").isEqualTo(0x0800);
        }
        for (UnderlayCapture.VxlanPacket p : fromFlotilla) {
            assertThat(p.outerDst()).isEqualTo(lab.underlay(2).value());
            assertThat(p.innerSrcMac()).isEqualTo(MacAddress.fromIpv4(TASK_A).value());
            assertThat(p.innerDstMac()).isEqualTo(MacAddress.fromIpv4(TASK_B).value());
            assertThat(p.innerSrcIp()).isEqualTo(TASK_A.value());
            assertThat(p.innerDstIp()).isEqualTo(TASK_B.value());
        }
        for (UnderlayCapture.VxlanPacket p : fromKernel) {
            assertThat(p.outerDst()).isEqualTo(lab.underlay(1).value());
            assertThat(p.innerSrcMac()).isEqualTo(MacAddress.fromIpv4(TASK_B).value());
            assertThat(p.innerDstMac()).isEqualTo(MacAddress.fromIpv4(TASK_A).value());
            assertThat(p.innerSrcIp()).isEqualTo(TASK_B.value());
            assertThat(p.innerDstIp()).isEqualTo(TASK_A.value());
        }
    }

    /**
     * Bulk TCP from Flotilla to the kernel: the TAP hands over TSO super-frames, Flotilla segments
     * them and sends UDP GSO batches. On the underlay veth a batch is captured whole; cut at its
     * stride, every piece must be a VXLAN packet of its own (flags, VNI, reserved bits) with a
     * complete inner frame whose IPv4 length and IPv4/TCP checksums are right, and the kernel's
     * task must have counted no checksum errors.
     */
    @Test
    void bulkTcpToTheKernelIsValidVxlanPerSegment() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ethtool")), "needs ethtool to turn off veth tx checksum offload");
        run(nodeB, "ethtool", "-K", "ul0", "tx", "off");
        List<UnderlayCapture.VxlanPacket> packets;
        try (UnderlayCapture capture = UnderlayCapture.start(nodeA, "ul0")) {
            Traffic.tcpEcho(taskA, taskB, TASK_B, 5005, 4 << 20);
            packets = List.copyOf(capture.packets());
        }
        List<UnderlayCapture.VxlanPacket> tcpFromFlotilla = packets.stream()
                .filter(p -> p.outerSrc() == lab.underlay(1).value() && p.innerProtocol() == 6).toList();
        assertThat(tcpFromFlotilla).hasSizeGreaterThan(100);
        if (Vtep.OFFLOAD) { // -Dflotilla.vxlan.offload=false runs the same checks on frame-by-frame traffic
            assertThat(vtepA.counters().txSuperFrames()).as("the TAP handed over TSO super-frames").isPositive();
            assertThat(tcpFromFlotilla.stream().mapToInt(UnderlayCapture.VxlanPacket::segmentsInCapture).max()
                    .orElse(0)).as("UDP GSO batches on the wire").isGreaterThan(1);
        }
        for (UnderlayCapture.VxlanPacket p : tcpFromFlotilla) {
            assertThat(p.udpDstPort()).isEqualTo(4789);
            assertThat(p.flags()).isEqualTo(0x08);
            assertThat(p.reserved1()).isZero();
            assertThat(p.vni()).isEqualTo(VNI);
            assertThat(p.reserved2()).isZero();
            assertThat(p.innerSrcIp()).isEqualTo(TASK_A.value());
            assertThat(p.innerDstIp()).isEqualTo(TASK_B.value());
            assertThat(p.innerLengthMatches()).as("inner IPv4 length = segment length").isTrue();
            assertThat(p.innerChecksumsVerify()).as("inner IPv4 and TCP checksums").isTrue();
        }
        assertThat(tcpFromFlotilla.stream().map(UnderlayCapture.VxlanPacket::udpSrcPort).distinct())
                .as("one flow, one source port").hasSize(1);
        ExecResult nstat = NetnsExec.in(taskB).run("nstat", "-az", "TcpInCsumErrors", "IpInHdrErrors");
        assertThat(nstat.stdout()).doesNotContainPattern("(TcpInCsumErrors|IpInHdrErrors)\\s+[1-9]");
        assertThat(vtepA.counters().drops(DropReason.BAD_VNET_HEADER)).isZero();
    }

    /**
     * RFC 7348 section 5: the outer source port is a hash of the inner flow. Eight TCP flows from
     * Flotilla to the kernel: each keeps one source port (no reordering), and together they use
     * more than one (four ports per lane: all eight on one has probability 4^-7).
     */
    @Test
    void sourcePortFollowsTheInnerFlow() throws Exception {
        assumeTrue(Vtep.SOURCE_PORTS > 1, "flotilla.vxlan.sourcePorts=1");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ethtool")), "needs ethtool to turn off veth tx checksum offload");
        run(nodeB, "ethtool", "-K", "ul0", "tx", "off");
        List<UnderlayCapture.VxlanPacket> packets;
        try (UnderlayCapture capture = UnderlayCapture.start(nodeA, "ul0")) {
            for (int port = 5010; port < 5018; port++) {
                Traffic.tcpEcho(taskA, taskB, TASK_B, port, 16 * 1024);
            }
            // The capture thread may still be draining its ring: wait until all eight flows are in.
            Poll.until(Duration.ofSeconds(5), () -> capture.packets().stream()
                    .filter(p -> p.outerSrc() == lab.underlay(1).value() && p.innerProtocol() == 6)
                    .map(UnderlayCapture.VxlanPacket::innerPorts).distinct().count() >= 8, "8 TCP flows captured");
            packets = List.copyOf(capture.packets());
        }
        java.util.Map<Integer, java.util.Set<Integer>> portsByFlow = new java.util.HashMap<>();
        for (UnderlayCapture.VxlanPacket p : packets) {
            if (p.outerSrc() == lab.underlay(1).value() && p.innerProtocol() == 6) {
                portsByFlow.computeIfAbsent(p.innerPorts(), k -> new java.util.HashSet<>()).add(p.udpSrcPort());
            }
        }
        assertThat(portsByFlow).hasSize(8);
        assertThat(portsByFlow.values()).allSatisfy(ports -> assertThat(ports).hasSize(1));
        assertThat(portsByFlow.values().stream().flatMap(java.util.Set::stream).distinct().count())
                .as("flows spread over source ports").isGreaterThan(1);
    }

    /**
     * An underlay MTU below the configured one (1400 < 1500): the kernel refuses UDP GSO batches
     * whose segments exceed the egress MTU, where single datagrams are fragmented. After a few
     * failed batches the lane sends datagram by datagram and bulk TCP still gets through.
     */
    @Test
    void udpGsoFallsBackWhenTheUnderlayMtuIsSmallerThanConfigured() throws Exception {
        assumeTrue(Vtep.OFFLOAD && io.netty.channel.epoll.EpollDatagramChannel.isSegmentedDatagramPacketSupported(),
                "UDP GSO in use");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ethtool")), "needs ethtool to turn off veth tx checksum offload");
        run(nodeB, "ethtool", "-K", "ul0", "tx", "off");
        run(null, "ip", "-n", nodeA, "link", "set", "ul0", "mtu", "1400");
        run(null, "ip", "-n", nodeB, "link", "set", "ul0", "mtu", "1400");

        long start = System.nanoTime();
        Traffic.tcpEcho(taskA, taskB, TASK_B, 5020, 2 << 20);
        // Without the fallback only what fits one datagram gets through: minutes instead of a second.
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(20));
        assertThat(vtepA.counters().udpSendErrors()).as("the GSO batches that failed before the fallback")
                .isGreaterThanOrEqualTo(Lane.GSO_FAILURES_BEFORE_FALLBACK);
    }

    private static void run(String netns, String... argv) {
        ExecResult result = NetnsExec.in(netns).run(argv);
        assertThat(result.exitCode()).as("%s: %s", String.join(" ", argv), result.stderr()).isZero();
    }
}
