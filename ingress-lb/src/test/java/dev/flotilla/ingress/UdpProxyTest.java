package dev.flotilla.ingress;

import static dev.flotilla.ingress.TestBackends.LOOPBACK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.ingress.TestBackends.UdpTask;
import dev.flotilla.testkit.NoLeaksExtension;
import dev.flotilla.testkit.Poll;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Timeout(60)
@ExtendWith(NoLeaksExtension.class)
class UdpProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static EventLoopGroup group;

    private UdpTask one;
    private UdpTask two;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(2, EpollIo.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void startTasks() throws IOException {
        one = new UdpTask("one");
        two = new UdpTask("two");
    }

    @AfterEach
    void stopTasks() {
        one.close();
        two.close();
    }

    private static DatagramSocket client() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    /** Sends {@code payload} from {@code client} to the published port and returns the answer. */
    private static String ask(DatagramSocket client, PublishedPort port, String payload) throws IOException {
        send(client, port, payload);
        byte[] buf = new byte[2048];
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        client.receive(reply);
        assertThat(reply.getPort()).as("reply comes from the published port").isEqualTo(port.port());
        return new String(buf, 0, reply.getLength(), StandardCharsets.US_ASCII);
    }

    private static void send(DatagramSocket client, PublishedPort port, String payload) throws IOException {
        byte[] data = payload.getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(data, data.length, new InetSocketAddress(LOOPBACK, port.port())));
    }

    @Test
    void eachNewFlowGoesToTheNextTaskAndStaysThere() throws Exception {
        try (IngressRouter router = new IngressRouter(group, ProxyOptions.DEFAULTS);
             DatagramSocket first = client();
             DatagramSocket second = client()) {
            PublishedPort port = router.publish(0, Protocol.UDP, BackendPool.of(one.backend, two.backend));

            assertThat(ask(first, port, "hi")).isEqualTo("one:hi");
            assertThat(ask(second, port, "hi")).isEqualTo("two:hi");
            for (int i = 0; i < 3; i++) {
                assertThat(ask(first, port, "again" + i)).isEqualTo("one:again" + i);
                assertThat(ask(second, port, "again" + i)).isEqualTo("two:again" + i);
            }

            assertThat(port.counters().flowsCreated()).isEqualTo(2);
            assertThat(port.counters().flowsActive()).isEqualTo(2);
            assertThat(one.peers).hasSize(1);
            assertThat(two.peers).hasSize(1);
        }
    }

    @Test
    void idleFlowsExpireAndTheNextDatagramOpensANewFlow() throws Exception {
        ProxyOptions shortFlows = ProxyOptions.DEFAULTS.withUdpFlowIdleTimeout(Duration.ofMillis(200));
        try (IngressRouter router = new IngressRouter(group, shortFlows);
             DatagramSocket first = client()) {
            PublishedPort port = router.publish(0, Protocol.UDP, BackendPool.of(one.backend, two.backend));
            assertThat(ask(first, port, "hi")).isEqualTo("one:hi");

            Poll.until(WAIT, () -> port.counters().flowsActive() == 0, "flow expired");

            assertThat(port.counters().flowsExpired()).isEqualTo(1);
            assertThat(ask(first, port, "back")).isEqualTo("two:back");
            assertThat(port.counters().flowsCreated()).isEqualTo(2);
        }
    }

    @Test
    void fullFlowTableDropsAndCounts() throws Exception {
        try (IngressRouter router = new IngressRouter(group, ProxyOptions.DEFAULTS.withMaxUdpFlows(1));
             DatagramSocket first = client();
             DatagramSocket second = client()) {
            PublishedPort port = router.publish(0, Protocol.UDP, BackendPool.of(one.backend, two.backend));
            assertThat(ask(first, port, "hi")).isEqualTo("one:hi");

            send(second, port, "no room");

            Poll.until(WAIT, () -> port.counters().datagramsDropped() == 1, "drop counted");
            assertThat(port.counters().flowsCreated()).isEqualTo(1);
            assertThat(ask(first, port, "still")).isEqualTo("one:still");
        }
    }

    @Test
    void emptyPoolDropsAndCounts() throws Exception {
        try (IngressRouter router = new IngressRouter(group, ProxyOptions.DEFAULTS);
             DatagramSocket first = client()) {
            PublishedPort port = router.publish(0, Protocol.UDP, new BackendPool());

            send(first, port, "anyone?");

            Poll.until(WAIT, () -> port.counters().datagramsDropped() == 1, "drop counted");
            assertThat(port.counters().flowsCreated()).isZero();
        }
    }
}
