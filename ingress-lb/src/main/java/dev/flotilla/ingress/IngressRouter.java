package dev.flotilla.ingress;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing mesh on one node: every published port of every service, each a listener that sends
 * new TCP connections and UDP flows to its {@link BackendPool}.
 *
 * <p>The router does not own the event loop group it is given (the caller may run its loops inside
 * a network namespace); {@link #close()} unpublishes every port but leaves the group running.
 */
public final class IngressRouter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngressRouter.class);
    /** EADDRINUSE on Linux (asm-generic/errno.h); Netty reports a failed bind as a negated errno. */
    private static final int EADDRINUSE = 98;

    private final EventLoopGroup group;
    private final ProxyOptions options;
    private final Map<PortKey, PublishedPort> published = new ConcurrentHashMap<>();

    private record PortKey(int port, Protocol protocol) {
    }

    /**
     * @param group epoll event loops ({@code MultiThreadIoEventLoopGroup} with {@code EpollIoHandler});
     *              listeners, client connections and their backend connections all run on it
     */
    public IngressRouter(EventLoopGroup group, ProxyOptions options) {
        Epoll.ensureAvailability();
        this.group = Objects.requireNonNull(group, "group");
        this.options = Objects.requireNonNull(options, "options");
        log.info("ingress router: tcpIdleTimeout={} (0 = none), connectTimeout={}, upstreamBindAddress={}, "
                        + "udpFlowIdleTimeout={}, maxUdpFlows={}, maxDatagramBytes={}, relayBufferBytes={}",
                options.tcpIdleTimeout(), options.connectTimeout(), options.upstreamBindAddress(),
                options.udpFlowIdleTimeout(), options.maxUdpFlows(), options.maxDatagramBytes(),
                options.relayBufferBytes());
    }

    /** Publishes {@code port} on every address of the node; see {@link #publish(InetSocketAddress, Protocol, BackendPool)}. */
    public PublishedPort publish(int port, Protocol protocol, BackendPool pool) throws PortInUseException {
        return publish(new InetSocketAddress(port), protocol, pool);
    }

    /**
     * Binds a listener on {@code listenAddress} that sends each new connection (TCP) or flow (UDP) to
     * the next backend of {@code pool}. Fails fast, leaving nothing bound, when the port is taken.
     * Port 0 binds an ephemeral port ({@link PublishedPort#port()} tells which).
     */
    public synchronized PublishedPort publish(InetSocketAddress listenAddress, Protocol protocol, BackendPool pool)
            throws PortInUseException {
        Objects.requireNonNull(pool, "pool");
        int requested = listenAddress.getPort();
        if (requested != 0 && published.containsKey(new PortKey(requested, protocol))) {
            throw new PortInUseException(requested, protocol, null);
        }
        PublishedPort port = protocol == Protocol.TCP
                ? TcpPublishedPort.bind(group, listenAddress, pool, options, this::forget)
                : UdpPublishedPort.bind(group, listenAddress, pool, options, this::forget);
        published.put(new PortKey(port.port(), protocol), port);
        return port;
    }

    /** Closes the listener of {@code port} and the connections it proxies; false if it was not published. */
    public boolean unpublish(int port, Protocol protocol) {
        PublishedPort p = published.get(new PortKey(port, protocol));
        if (p == null) {
            return false;
        }
        p.close();
        return true;
    }

    public Optional<PublishedPort> published(int port, Protocol protocol) {
        return Optional.ofNullable(published.get(new PortKey(port, protocol)));
    }

    public List<PublishedPort> publishedPorts() {
        return List.copyOf(published.values());
    }

    private void forget(PublishedPort port) {
        published.remove(new PortKey(port.port(), port.protocol()), port);
    }

    /**
     * Whether {@code port} could be published on this node now: binds it on every address with the
     * options a listener uses, then releases it. Lets the control plane refuse a service before it
     * commits anything; {@link #publish} still fails fast if the port is taken in between.
     */
    public static boolean probe(int port, Protocol protocol) {
        InetSocketAddress wildcard = new InetSocketAddress(port);
        try {
            if (protocol == Protocol.TCP) {
                try (ServerSocket socket = new ServerSocket()) {
                    socket.setReuseAddress(true);
                    socket.bind(wildcard);
                }
            } else {
                try (DatagramSocket socket = new DatagramSocket(null)) {
                    socket.setReuseAddress(false);
                    socket.bind(wildcard);
                }
            }
            return true;
        } catch (BindException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("probing port " + port + "/" + protocol, e);
        }
    }

    /** Maps a failed bind to {@link PortInUseException} when the port is taken; rethrows anything else unchecked. */
    static PortInUseException bindFailure(int port, Protocol protocol, Throwable cause) {
        boolean inUse = cause instanceof BindException
                || cause instanceof Errors.NativeIoException e && e.expectedErr() == -EADDRINUSE;
        if (inUse) {
            return new PortInUseException(port, protocol, cause);
        }
        if (cause instanceof IOException io) {
            throw new UncheckedIOException("cannot publish port " + port + "/" + protocol + ": " + io.getMessage(), io);
        }
        throw new IllegalStateException("cannot publish port " + port + "/" + protocol, cause);
    }

    /** Unpublishes every port. The event loop group stays up: it belongs to the caller. */
    @Override
    public void close() {
        for (PublishedPort port : publishedPorts()) {
            port.close();
        }
    }
}
