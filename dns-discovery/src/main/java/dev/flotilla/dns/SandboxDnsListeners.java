package dev.flotilla.dns;

import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.Netns;
import dev.flotilla.linux.NetNs;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each sandbox its embedded DNS sockets, UDP and TCP on 127.0.0.11:53 inside the sandbox's
 * network namespace, answering for the sandbox's {@link SandboxScope}.
 *
 * <p><b>One event loop group for all sandboxes.</b> A socket belongs to the namespace of the thread
 * that <em>creates</em> it; which thread later reads it does not matter. So {@link #open} creates
 * and binds the two sockets on a short-lived thread that entered the sandbox's namespace, then
 * wraps the bound descriptors in epoll channels registered with the daemon's shared group. A
 * namespace-resident loop per sandbox ({@code NetnsEventLoops.inNamespace}) would also work, but
 * costs a thread per task. Accepted TCP connections inherit the listener's namespace.
 *
 * <p>127.0.0.11 needs no address: once {@code lo} is up, the kernel's local table routes all of
 * 127.0.0.0/8 to it, so {@link #open} brings {@code lo} up and binds. Close a sandbox's listeners
 * before deleting its namespace; open sockets keep a deleted namespace alive. Thread-safe.
 */
public final class SandboxDnsListeners implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxDnsListeners.class);
    public static final InetSocketAddress DNS_ADDRESS = new InetSocketAddress(ResolvConf.EMBEDDED_ADDRESS, 53);
    private static final int BACKLOG = 128;
    private static final long OPEN_TIMEOUT_SECONDS = 10;

    private final EmbeddedDnsServer server;
    private final EventLoopGroup group;
    private final InetSocketAddress address;
    private final ConcurrentMap<String, Listeners> open = new ConcurrentHashMap<>();

    /**
     * @param group the epoll group that serves every sandbox's DNS channels; owned by the caller
     */
    public SandboxDnsListeners(EmbeddedDnsServer server, EventLoopGroup group) {
        this(server, group, DNS_ADDRESS);
    }

    SandboxDnsListeners(EmbeddedDnsServer server, EventLoopGroup group, InetSocketAddress address) {
        Epoll.ensureAvailability();
        this.server = server;
        this.group = group;
        this.address = address;
    }

    /**
     * Brings {@code lo} up in {@code netnsName} and listens there on UDP and TCP 127.0.0.11:53 for
     * {@code scope}. Blocks until both listen; on failure nothing stays open.
     *
     * @throws IllegalStateException if this namespace already has listeners, or binding failed
     *     (e.g. something else holds port 53 there)
     */
    public void open(String netnsName, SandboxScope scope) {
        Netns.validateName(netnsName);
        Listeners listeners = new Listeners(new DefaultChannelGroup("dns-" + netnsName, GlobalEventExecutor.INSTANCE));
        if (open.putIfAbsent(netnsName, listeners) != null) {
            throw new IllegalStateException("DNS listeners are already open in network namespace " + netnsName);
        }
        boolean success = false;
        try {
            LinkConfig.in(netnsName).setUp("lo");
            int[] fds = bindInNamespace(netnsName);
            listeners.channels.add(register(server.udpOptions(new Bootstrap().group(group)
                    .channelFactory(() -> new EpollDatagramChannel(fds[0])))
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            server.initUdp(ch.pipeline(), scope);
                        }
                    }).register(), fds[1]));
            ChannelInitializer<Channel> child = server.tcpChildInitializer(scope);
            listeners.channels.add(register(new ServerBootstrap().group(group)
                    .channelFactory(() -> new EpollServerSocketChannel(fds[1]))
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel connection) {
                            listeners.channels.add(connection); // removed again when it closes
                            connection.pipeline().addLast(child);
                        }
                    }).register(), -1));
            success = true;
            log.info("embedded DNS listening on {} udp+tcp in network namespace {} for networks {}", address, netnsName,
                    scope.networks());
        } finally {
            if (!success) {
                open.remove(netnsName, listeners);
                listeners.channels.close().awaitUninterruptibly(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Closes {@code netnsName}'s listeners and its open TCP connections; waits until closed.
     *
     * @return {@code false} if it had none
     */
    public boolean close(String netnsName) {
        Listeners listeners = open.remove(netnsName);
        if (listeners == null) {
            return false;
        }
        listeners.channels.close().awaitUninterruptibly(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        log.info("embedded DNS closed in network namespace {}", netnsName);
        return true;
    }

    /** Names of the namespaces with open listeners. */
    public Set<String> openNamespaces() {
        return Set.copyOf(open.keySet());
    }

    /** Closes every sandbox's listeners. */
    @Override
    public void close() {
        open.keySet().forEach(this::close);
    }

    /**
     * Registers a channel wrapped around a bound descriptor; if that fails the channel (and so its
     * descriptor) is closed, and {@code otherFd} (not yet wrapped, or -1) too.
     */
    private static Channel register(ChannelFuture registered, int otherFd) {
        if (!registered.awaitUninterruptibly().isSuccess()) {
            registered.channel().close();
            closeFd(otherFd);
            throw new IllegalStateException("cannot register DNS listener: " + registered.cause().getMessage(),
                    registered.cause());
        }
        return registered.channel();
    }

    /**
     * Creates, binds and (TCP) listens the two sockets on a fresh thread inside {@code netnsName}:
     * the thread exists only for this, so no pooled thread is ever left in a sandbox's namespace.
     *
     * @return {udp fd, tcp fd}, both owned by the caller
     */
    private int[] bindInNamespace(String netnsName) {
        FutureTask<int[]> task = new FutureTask<>(() -> {
            try (NetNs ns = NetNs.open(netnsName)) {
                ns.enter();
            }
            Socket udp = Socket.newSocketDgram();
            Socket tcp = null;
            try {
                udp.bind(address);
                tcp = Socket.newSocketStream();
                tcp.setReuseAddress(true);
                tcp.bind(address);
                tcp.listen(BACKLOG);
                return new int[] {udp.intValue(), tcp.intValue()};
            } catch (Exception e) {
                udp.close();
                if (tcp != null) {
                    tcp.close();
                }
                throw e;
            }
        });
        Thread thread = new Thread(task, "fl-dns-bind-" + netnsName);
        thread.setDaemon(true);
        thread.start();
        try {
            return task.get(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot listen for DNS on " + address + " in network namespace "
                    + netnsName + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            task.cancel(true);
            throw new IllegalStateException("binding DNS sockets in network namespace " + netnsName + " took over "
                    + OPEN_TIMEOUT_SECONDS + "s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening DNS listeners in " + netnsName, e);
        }
    }

    private static void closeFd(int fd) {
        if (fd >= 0) {
            try {
                new Socket(fd).close();
            } catch (Exception e) {
                log.warn("could not close descriptor {}: {}", fd, e.getMessage());
            }
        }
    }

    /** One sandbox's listeners and accepted connections. */
    private record Listeners(ChannelGroup channels) {
    }
}
