package dev.flotilla.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.link.ExecResult;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.linux.Native;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Root;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A listener bound through a namespaced group lives in that namespace and nowhere else. */
@Timeout(60)
class NetnsEventLoopsPrivilegedTest {

    private static final String GREETING = "hello from inside";

    private final NamespaceLab lab = new NamespaceLab("ft-dp");
    private String ns;
    private MultiThreadIoEventLoopGroup inside;
    private MultiThreadIoEventLoopGroup outside;

    @BeforeEach
    void createNamespace() {
        Root.assume("ip", "busybox");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
        ns = lab.namespace("loops");
        LinkConfig.in(ns).setUp("lo");
    }

    @AfterEach
    void cleanUp() {
        try {
            for (MultiThreadIoEventLoopGroup group : new MultiThreadIoEventLoopGroup[] {inside, outside}) {
                if (group != null) {
                    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            lab.close();
        }
    }

    @Test
    void listenerBoundOnTheLoopLivesInTheNamespace() throws Exception {
        inside = NetnsEventLoops.inNamespace(ns, 2);
        AtomicInteger accepted = new AtomicInteger();
        Channel listener = bindGreeter(accepted);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();

        ExecResult nc = NetnsExec.in(ns).run("busybox", "nc", "-w", "3", "127.0.0.1", Integer.toString(port));
        assertThat(nc.exitCode()).as(nc.stderr()).isZero();
        assertThat(nc.stdout()).isEqualTo(GREETING);
        assertThat(accepted).hasValue(1);

        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                .as("port %d must not be open in the host namespace", port)
                .isInstanceOf(ConnectException.class);
        assertThat(accepted).hasValue(1);
    }

    @Test
    void connectOnLoopReachesOnlyTheNamespacesOwnLoopback() throws Exception {
        inside = NetnsEventLoops.inNamespace(ns, 1);
        outside = NetnsEventLoops.inCurrentNamespace("test-host", 1);
        Channel listener = bindGreeter(new AtomicInteger());
        InetSocketAddress target = (InetSocketAddress) listener.localAddress();

        // The greeter closes right away, so success of the connect is what we can observe.
        Future<Channel> fromInside = NetnsEventLoops.connectOnLoop(inside.next(), client(inside), target);
        assertThat(fromInside.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fromInside.cause()).isNull();
        fromInside.getNow().close().sync();

        Future<Channel> fromHost = NetnsEventLoops.connectOnLoop(outside.next(), client(outside), target);
        assertThat(fromHost.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fromHost.cause()).hasMessageContaining("Connection refused");
    }

    @Test
    void threadsAreNamedAfterTheNamespace() throws Exception {
        inside = NetnsEventLoops.inNamespace(ns, 1);
        assertThat(inside.next().submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
                .isEqualTo("fl-ns-" + ns + "-0");
    }

    private Channel bindGreeter(AtomicInteger accepted) throws Exception {
        ServerBootstrap server = new ServerBootstrap().group(inside).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.incrementAndGet();
                        ctx.writeAndFlush(Unpooled.copiedBuffer(GREETING, StandardCharsets.US_ASCII))
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                });
        return NetnsEventLoops.bindOnLoop(inside.next(), server, new InetSocketAddress("127.0.0.1", 0))
                .get(5, TimeUnit.SECONDS);
    }

    private static Bootstrap client(MultiThreadIoEventLoopGroup group) {
        return new Bootstrap().group(group).channel(EpollSocketChannel.class).handler(new ChannelInboundHandlerAdapter());
    }
}
