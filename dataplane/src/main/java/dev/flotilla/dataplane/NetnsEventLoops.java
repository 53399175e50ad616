package dev.flotilla.dataplane;

import dev.flotilla.linux.NetNs;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Epoll event-loop groups, including groups whose threads live inside a network namespace.
 *
 * <p><b>Which namespace a socket is in.</b> Linux puts a socket in the network namespace of the
 * <em>thread that creates it</em>; the thread that later registers, reads or writes it does not
 * matter. Netty creates a channel's socket in {@code Bootstrap.bind/connect}, on the calling
 * thread. So to listen or connect inside a namespace, call {@link #bindOnLoop} or
 * {@link #connectOnLoop} with a loop of a group made by {@link #inNamespace}: they issue the
 * bind/connect from that loop's own thread, which entered the namespace when it started. Configure
 * the bootstrap with the same group, so the channel is also served there (and a
 * {@code ServerBootstrap}'s accepted children, which inherit the listener's namespace, too).
 * Sockets a handler opens from its own event loop (the proxy's upstream connection) land in
 * that loop's namespace by the same rule.
 *
 * <p><b>Threads.</b> Every loop thread is started, and has entered the namespace, before a
 * factory method returns; a thread that fails to enter never runs the loop, so nothing can be
 * served from the wrong namespace by mistake. The caller owns the group and shuts it down.
 */
public final class NetnsEventLoops {

    private static final Logger logger = LoggerFactory.getLogger(NetnsEventLoops.class);

    /** How long threads get to start and enter their namespace; entering takes microseconds. */
    private static final long START_TIMEOUT_SECONDS = 10;

    static {
        // Netty derives its machine id from a MAC address, once, on the thread that creates the
        // first channel. In a fresh namespace that thread sees only lo and Netty warns and falls
        // back to random bytes; do it here, on the caller's thread, instead.
        DefaultChannelId.newInstance();
    }

    private NetnsEventLoops() {
    }

    /**
     * An epoll group of {@code nThreads} loops, in the namespace {@code ip netns add NAME} created,
     * with threads named {@code fl-ns-NAME-N}.
     *
     * @throws dev.flotilla.linux.ErrnoException if the namespace does not exist or cannot be entered
     */
    public static MultiThreadIoEventLoopGroup inNamespace(String netnsName, int nThreads) {
        try (NetNs ns = NetNs.open(netnsName)) {
            // Safe to close on return: every thread has entered by then.
            return inNamespace(ns, netnsName, nThreads);
        }
    }

    /**
     * An epoll group of {@code nThreads} loops whose threads enter {@code ns}, named
     * {@code fl-ns-LABEL-N}. {@code ns} stays owned by the caller and may be closed as soon as this
     * returns.
     */
    public static MultiThreadIoEventLoopGroup inNamespace(NetNs ns, String label, int nThreads) {
        Epoll.ensureAvailability();
        BlockingQueue<Optional<Throwable>> entered = new LinkedBlockingQueue<>();
        ThreadFactory threads = namedThreads("fl-ns-" + label, body -> () -> {
            try {
                ns.enter();
            } catch (Throwable t) {
                logger.error("event loop thread {} could not enter network namespace {}; it will not run",
                        Thread.currentThread().getName(), label, t);
                entered.add(Optional.of(t));
                return;
            }
            entered.add(Optional.empty());
            body.run();
        });
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(nThreads, threads, EpollIo.newFactory());
        startAll(group, entered, label);
        logger.info("event loop group fl-ns-{}: {} threads in network namespace {}", label, group.executorCount(), label);
        return group;
    }

    /** An epoll group in the caller's current namespace, threads named {@code fl-LABEL-N}. */
    public static MultiThreadIoEventLoopGroup inCurrentNamespace(String label, int nThreads) {
        Epoll.ensureAvailability();
        return new MultiThreadIoEventLoopGroup(nThreads, namedThreads("fl-" + label, body -> body),
                EpollIo.newFactory());
    }

    /**
     * Binds from {@code loop}'s own thread, so the socket is created in that loop's namespace
     * (see the class comment). Works for {@code Bootstrap} (UDP) and {@code ServerBootstrap} alike.
     *
     * @return completes with the bound channel, or fails with the bind error; if the caller
     *     cancels it first, a channel that still gets bound is closed
     */
    public static Future<Channel> bindOnLoop(EventLoop loop, AbstractBootstrap<?, ?> bootstrap, SocketAddress localAddress) {
        return onLoop(loop, () -> bootstrap.bind(localAddress));
    }

    /** Connects from {@code loop}'s own thread, so the socket is created in that loop's namespace. */
    public static Future<Channel> connectOnLoop(EventLoop loop, Bootstrap bootstrap, SocketAddress remoteAddress) {
        return onLoop(loop, () -> bootstrap.connect(remoteAddress));
    }

    /** As {@link #connectOnLoop(EventLoop, Bootstrap, SocketAddress)}, from a given local address. */
    public static Future<Channel> connectOnLoop(EventLoop loop, Bootstrap bootstrap, SocketAddress remoteAddress,
                                                SocketAddress localAddress) {
        return onLoop(loop, () -> bootstrap.connect(remoteAddress, localAddress));
    }

    private static Future<Channel> onLoop(EventLoop loop, Supplier<ChannelFuture> operation) {
        Promise<Channel> promise = loop.newPromise();
        if (loop.inEventLoop()) {
            start(operation, promise);
        } else {
            try {
                loop.execute(() -> start(operation, promise));
            } catch (Throwable t) {
                return loop.newFailedFuture(t);
            }
        }
        return promise;
    }

    private static void start(Supplier<ChannelFuture> operation, Promise<Channel> promise) {
        ChannelFuture future;
        try {
            future = operation.get();
        } catch (Throwable t) {
            promise.tryFailure(t);
            return;
        }
        future.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
            } else if (!promise.trySuccess(f.channel())) {
                f.channel().close(); // the caller gave up on it; nobody else would close it
            }
        });
    }

    /**
     * Submits a no-op to every loop (Netty starts loop threads lazily) and waits until each thread
     * reported whether it entered the namespace.
     */
    private static void startAll(MultiThreadIoEventLoopGroup group, BlockingQueue<Optional<Throwable>> entered,
                                 String label) {
        for (EventExecutor loop : group) {
            loop.execute(() -> { });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        try {
            for (int reported = 0; reported < group.executorCount(); reported++) {
                Optional<Throwable> outcome = entered.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (outcome == null) {
                    throw new IllegalStateException("event loop threads for network namespace " + label
                            + " did not start within " + START_TIMEOUT_SECONDS + "s");
                }
                if (outcome.isPresent()) {
                    throw new IllegalStateException("cannot run event loops in network namespace " + label
                            + ": " + outcome.get().getMessage(), outcome.get());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted while starting event loops for " + label, e);
        } catch (RuntimeException e) {
            // Loops whose thread never ran cannot terminate; the healthy ones are released.
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Names threads {@code prefix-0, prefix-1, ...}; FastThreadLocalThread as Netty's own factory makes. */
    private static ThreadFactory namedThreads(String prefix, UnaryOperator<Runnable> wrap) {
        AtomicInteger next = new AtomicInteger();
        return body -> new FastThreadLocalThread(wrap.apply(body), prefix + "-" + next.getAndIncrement());
    }
}
