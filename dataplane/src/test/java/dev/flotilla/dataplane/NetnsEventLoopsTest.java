package dev.flotilla.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.linux.ErrnoException;
import dev.flotilla.linux.NetNs;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs without privileges: groups in the current namespace, and the failure paths. */
@Timeout(30)
class NetnsEventLoopsTest {

    private MultiThreadIoEventLoopGroup group;

    @BeforeEach
    void startGroup() {
        group = NetnsEventLoops.inCurrentNamespace("test", 2);
    }

    @AfterEach
    void stopGroup() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    @Test
    void threadsAreNamedAfterTheLabel() throws Exception {
        assertThat(group.next().submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
                .matches("fl-test-\\d+");
    }

    @Test
    void bindAndConnectOnLoopYieldTheChannels() throws Exception {
        EventLoop loop = group.next();
        ServerBootstrap server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter());
        Channel listener = NetnsEventLoops.bindOnLoop(loop, server, new InetSocketAddress("127.0.0.1", 0))
                .get(5, TimeUnit.SECONDS);
        try {
            assertThat(listener.isActive()).isTrue();
            Bootstrap client = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter());
            Channel connection = NetnsEventLoops.connectOnLoop(loop, client, listener.localAddress())
                    .get(5, TimeUnit.SECONDS);
            assertThat(connection.isActive()).isTrue();
            connection.close().sync();
        } finally {
            listener.close().sync();
        }
    }

    @Test
    void bindFailureIsReported() throws Exception {
        ServerBootstrap server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter());
        Channel first = NetnsEventLoops.bindOnLoop(group.next(), server, new InetSocketAddress("127.0.0.1", 0))
                .get(5, TimeUnit.SECONDS);
        try {
            Future<Channel> second = NetnsEventLoops.bindOnLoop(group.next(), server, first.localAddress());
            assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(second.cause()).hasMessageContaining("Address already in use");
        } finally {
            first.close().sync();
        }
    }

    @Test
    void missingNamespaceFailsBeforeAnyThreadStarts() {
        assertThatThrownBy(() -> NetnsEventLoops.inNamespace("ft-dp-missing", 1))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining("'ft-dp-missing' does not exist");
    }

    @Test
    void aThreadThatCannotEnterFailsConstructionInsteadOfRunningOutside() throws Exception {
        Path notANamespace = Files.createTempFile("ft-dp-", ".tmp");
        try (NetNs bogus = NetNs.openPath(notANamespace)) {
            assertThatThrownBy(() -> NetnsEventLoops.inNamespace(bogus, "bogus", 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot run event loops in network namespace bogus")
                    .hasRootCauseInstanceOf(ErrnoException.class);
        } finally {
            Files.delete(notANamespace);
        }
    }
}
