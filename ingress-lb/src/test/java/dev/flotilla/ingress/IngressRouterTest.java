package dev.flotilla.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.testkit.NoLeaksExtension;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
class IngressRouterTest {

    private static EventLoopGroup group;
    private IngressRouter router;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIo.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void newRouter() {
        router = new IngressRouter(group, ProxyOptions.DEFAULTS);
    }

    @AfterEach
    void closeRouter() {
        router.close();
    }

    @Test
    void tcpPortInUseFailsWithAClearMessageAndPublishesNothing() throws Exception {
        ServerSocket squatter = new ServerSocket();
        int port;
        try {
            squatter.bind(new InetSocketAddress(0));
            port = squatter.getLocalPort();

            assertThat(IngressRouter.probe(port, Protocol.TCP)).isFalse();
            assertThatThrownBy(() -> router.publish(port, Protocol.TCP, new BackendPool()))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessage("port " + port + "/tcp is already in use on this node");
            assertThat(router.publishedPorts()).isEmpty();
        } finally {
            squatter.close();
        }

        assertThat(IngressRouter.probe(port, Protocol.TCP)).isTrue();
        assertThat(router.publish(port, Protocol.TCP, new BackendPool()).port()).isEqualTo(port);
    }

    @Test
    void udpPortInUseFailsWithAClearMessageAndPublishesNothing() throws Exception {
        try (DatagramSocket squatter = new DatagramSocket(new InetSocketAddress(0))) {
            int port = squatter.getLocalPort();

            assertThat(IngressRouter.probe(port, Protocol.UDP)).isFalse();
            assertThatThrownBy(() -> router.publish(port, Protocol.UDP, new BackendPool()))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessage("port " + port + "/udp is already in use on this node")
                    .satisfies(e -> assertThat(((PortInUseException) e).port()).isEqualTo(port));
            assertThat(router.publishedPorts()).isEmpty();
        }
    }

    @Test
    void aPortPublishedHereIsInUseToo() throws Exception {
        PublishedPort tcp = router.publish(0, Protocol.TCP, new BackendPool());
        PublishedPort udp = router.publish(tcp.port(), Protocol.UDP, new BackendPool());

        assertThat(IngressRouter.probe(tcp.port(), Protocol.TCP)).isFalse();
        assertThat(IngressRouter.probe(udp.port(), Protocol.UDP)).isFalse();
        assertThatThrownBy(() -> router.publish(tcp.port(), Protocol.TCP, new BackendPool()))
                .isInstanceOf(PortInUseException.class);
        assertThat(router.publishedPorts()).containsExactlyInAnyOrder(tcp, udp);
    }

    @Test
    void unpublishFreesThePort() throws Exception {
        PublishedPort tcp = router.publish(0, Protocol.TCP, new BackendPool());
        int port = tcp.port();

        assertThat(router.unpublish(port, Protocol.TCP)).isTrue();

        assertThat(router.published(port, Protocol.TCP)).isEmpty();
        assertThat(router.unpublish(port, Protocol.TCP)).isFalse();
        assertThat(IngressRouter.probe(port, Protocol.TCP)).isTrue();
    }

    @Test
    void closingAHandleForgetsIt() throws Exception {
        PublishedPort udp = router.publish(0, Protocol.UDP, new BackendPool());

        udp.close();
        udp.close();

        assertThat(router.publishedPorts()).isEmpty();
        assertThat(IngressRouter.probe(udp.port(), Protocol.UDP)).isTrue();
    }
}
