package dev.flotilla.vxlan;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.linux.FileDescriptors;
import dev.flotilla.linux.NetNs;
import dev.flotilla.linux.TunTap;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoRegistration;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's VXLAN tunnel endpoint: one UDP port (4789) for every overlay network, VNI -> network,
 * and per attached network the TAP {@code vtep0} in that network's namespace.
 *
 * <p><b>Threads.</b> Every event loop of the group gets a {@link Lane}: a socket bound to the
 * port ({@code SO_REUSEPORT} when there are several) and the TAPs assigned to it round robin. A
 * frame read from a TAP is encapsulated and sent on that TAP's own loop; a datagram may arrive on
 * any lane and is written straight to its network's TAP (one {@code write(2)}, thread-safe).
 * Sockets are created from the loops' own threads, so they live in the loops' namespace: use a
 * group from {@link NetnsEventLoops} (the daemon's, in the node's namespace). The caller owns the
 * group; {@link #close()} the VTEP before shutting it down.
 *
 * <p><b>Links are the caller's.</b> {@link #attach} creates the TAP (down) and holds its
 * descriptor; enslaving it to {@code br0}, its MTU ({@link VtepConfig#innerMtu()}) and bringing it
 * up are the caller's job, as are the namespace and bridge.
 *
 * <p>{@link #attach}, {@link #detach} and {@link #close} block briefly and must not be called from
 * the group's event loops. The FDB and peer setters are lock-free for the data path and may be
 * called from anywhere.
 */
public final class Vtep implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(Vtep.class);

    /** Bind, TAP creation, registration and close each take milliseconds; this bounds a wedged loop. */
    private static final long TIMEOUT_SECONDS = 10;
    /** Outbound queue per socket before TAP reads pause. */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 * 1024, 1024 * 1024);
    /** Socket buffers requested; the kernel clamps them to net.core.[rw]mem_max. */
    private static final int SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
    /** Datagrams per recvmmsg(2) call (without offloads). */
    private static final int DATAGRAMS_PER_READ = 16;
    /** A UDP GRO read: up to 64 KiB of coalesced datagrams. */
    private static final int GRO_READ_BYTES = 65_536;
    /**
     * Datagrams per readiness event with GRO. Netty counts every datagram of a GRO read, so its
     * default (16) would end the event after the first 64 KiB read and split each TCP super-frame
     * (two UDP GSO sends at MTU 1500) over two wake-ups and two TAP writes.
     */
    private static final int GRO_DATAGRAMS_PER_EVENT = 256;
    /** TCP offloads the TAPs take: we complete checksums and segment TCP/IPv4 ourselves. */
    private static final int TAP_OFFLOADS = TunTap.TUN_F_CSUM | TunTap.TUN_F_TSO4;
    /**
     * TAP offloads (TSO on read, GSO on write), UDP GSO and GRO: on unless the system property
     * {@code flotilla.vxlan.offload} is {@code false} (to compare, or on a kernel without them).
     */
    static final boolean OFFLOAD = !"false".equalsIgnoreCase(System.getProperty("flotilla.vxlan.offload"));
    /**
     * UDP source ports per lane, picked per inner flow ({@link FlowHash}): the bound port plus
     * sockets on ephemeral ports (RFC 7348 section 5). {@code flotilla.vxlan.sourcePorts}, 1..64;
     * 1 sends everything from the bound port.
     */
    static final int SOURCE_PORTS = Math.max(1, Math.min(64, Integer.getInteger("flotilla.vxlan.sourcePorts", 4)));

    private final VtepConfig config;
    private final ForwardingDb fdb;
    private final PeerFilter peers;
    private final VtepCounters counters;
    private final VtepProtocol protocol;
    private final List<Lane> lanes;
    private final ByteBufAllocator alloc;

    /** Attached networks. Guarded by {@code this}. */
    private final Map<Integer, TapPort> ports = new HashMap<>();
    /** Round-robin cursor over lanes for new TAPs. Guarded by {@code this}. */
    private int nextLane;
    /** Guarded by {@code this}. */
    private boolean closed;

    private Vtep(VtepConfig config, List<IoEventLoop> loops, ByteBufAllocator alloc) {
        this.config = config;
        this.alloc = alloc;
        this.fdb = new ForwardingDb(config.port());
        this.peers = new PeerFilter();
        this.counters = new VtepCounters();
        this.protocol = new VtepProtocol(fdb, peers, counters, alloc, config.maxFrameLength());
        List<Lane> newLanes = new ArrayList<>(loops.size());
        for (IoEventLoop loop : loops) {
            newLanes.add(new Lane(loop, protocol, alloc, OFFLOAD));
        }
        this.lanes = List.copyOf(newLanes);
    }

    /**
     * Binds the VXLAN socket(s) on every loop of {@code group} and returns the running VTEP. It
     * accepts nothing until {@link #setPeers} names the cluster's nodes.
     *
     * @param group an epoll group ({@link NetnsEventLoops}); stays owned by the caller
     * @throws IllegalStateException if a socket cannot be bound (port taken, address missing);
     *     sockets already bound are closed again
     */
    public static Vtep bind(IoEventLoopGroup group, VtepConfig config) {
        Objects.requireNonNull(config, "config");
        List<IoEventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : group) {
            IoEventLoop loop = (IoEventLoop) executor;
            if (!EpollIo.drives(loop)) {
                throw new IllegalArgumentException("the VTEP needs an epoll event loop group, got " + group);
            }
            loops.add(loop);
        }
        Vtep vtep = new Vtep(config, loops, ByteBufAllocator.DEFAULT);
        try {
            for (Lane lane : vtep.lanes) {
                vtep.bindLane(lane, loops.size() > 1);
            }
        } catch (RuntimeException e) {
            vtep.close();
            throw e;
        }
        logger.info("VTEP bound on udp {} with {} lane(s), {} source port(s) each; inner MTU {} for underlay MTU {};"
                + " offloads {}", config.socketAddress(), loops.size(), SOURCE_PORTS, config.innerMtu(), config.underlayMtu(),
                OFFLOAD ? "TSO/GSO on the TAPs, UDP GSO " + EpollDatagramChannel.isSegmentedDatagramPacketSupported()
                        + ", UDP GRO" : "off");
        return vtep;
    }

    private void bindLane(Lane lane, boolean reusePort) {
        int payload = config.maxDatagramPayload();
        Bootstrap bootstrap = new Bootstrap()
                .group(lane.loop())
                .channelFactory(() -> new EpollDatagramChannel(SocketProtocolFamily.INET))
                .option(UnixChannelOption.SO_REUSEPORT, reusePort)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.ALLOCATOR, alloc)
                .handler(lane);
        if (OFFLOAD) {
            // UDP GRO: one recvmsg returns up to 64 KiB of same-flow datagrams, which Netty slices
            // per datagram (segment size from the cmsg). recvmmsg would cut them at its slot size.
            bootstrap.option(EpollChannelOption.UDP_GRO, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 0)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(GRO_READ_BYTES)
                            .maxMessagesPerRead(GRO_DATAGRAMS_PER_EVENT));
        } else {
            // recvmmsg: one buffer per read, sliced per datagram.
            bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, payload)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(payload * DATAGRAMS_PER_READ));
        }
        Channel bound = await(NetnsEventLoops.bindOnLoop(lane.loop(), bootstrap, config.socketAddress()),
                "bind udp " + config.socketAddress());
        List<Channel> senders = new ArrayList<>(SOURCE_PORTS);
        senders.add(bound);
        try {
            InetSocketAddress ephemeral = new InetSocketAddress(config.bindAddress(), 0);
            for (int i = 1; i < SOURCE_PORTS; i++) {
                Bootstrap sender = new Bootstrap()
                        .group(lane.loop())
                        .channelFactory(() -> new EpollDatagramChannel(SocketProtocolFamily.INET))
                        .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .handler(lane.senderHandler());
                senders.add(await(NetnsEventLoops.bindOnLoop(lane.loop(), sender, ephemeral), "bind udp " + ephemeral));
            }
            await(lane.loop().submit(() -> lane.senders(senders)), "senders of " + lane.loop());
        } catch (RuntimeException e) {
            for (Channel sender : senders.subList(1, senders.size())) {
                sender.close();
            }
            throw e;
        }
    }

    /**
     * Creates TAP {@code tapName} in namespace {@code netnsName} and starts switching network
     * {@code vni} through it. The TAP is created down and unenslaved: the caller adds it to
     * {@code br0}, sets its MTU to {@link VtepConfig#innerMtu()} and brings it up.
     *
     * @param netnsName a name from {@code ip netns}, or {@code null} for the caller's namespace
     * @throws IllegalStateException if the VNI is attached already or the VTEP is closed
     * @throws dev.flotilla.linux.ErrnoException if the namespace or the TAP cannot be opened
     */
    public synchronized void attach(int vni, String netnsName, String tapName) {
        VxlanHeader.checkVni(vni);
        checkNotOnLoop();
        if (closed) {
            throw new IllegalStateException("VTEP is closed");
        }
        if (ports.containsKey(vni)) {
            throw new IllegalStateException("VNI " + vni + " is already attached to " + ports.get(vni));
        }
        int fd = openTap(netnsName, tapName);
        boolean vnetHeader = OFFLOAD && enableOffloads(fd, tapName);
        Lane lane = lanes.get(nextLane++ % lanes.size());
        TapPort port = new TapPort(vni, tapName, netnsName == null ? "(current)" : netnsName, fd, lane, protocol,
                alloc, config.maxFrameLength(), vnetHeader);
        try {
            IoRegistration registration = await(lane.loop().register(port), "register " + port);
            await(lane.loop().submit(() -> {
                port.startReading(registration);
                lane.add(port);
            }), "start reading " + port);
            protocol.attach(vni, port);
        } catch (RuntimeException e) {
            closePort(port);
            throw e;
        }
        ports.put(vni, port);
        logger.info("VNI {}: attached TAP {} in namespace {} on {}", vni, tapName, netnsName, lane.loop());
    }

    /**
     * Stops switching network {@code vni} and closes its TAP (the kernel deletes the device).
     * Detaching a VNI that is not attached does nothing.
     */
    public synchronized void detach(int vni) {
        checkNotOnLoop();
        TapPort port = ports.remove(vni);
        if (port == null) {
            return;
        }
        protocol.detach(vni);
        closePort(port);
        logger.info("VNI {}: detached TAP {}", vni, port.name());
    }

    /**
     * Closes {@code port} once no loop can still be writing to it: a receive on any lane may have
     * read the old VNI map just before {@link VtepProtocol#detach}; once every loop has run a task
     * queued after that, none can (each datagram is handled within one loop iteration). Only then
     * is the descriptor closed, so its number cannot be reused under a late write.
     */
    private void closePort(TapPort port) {
        List<Future<?>> barriers = new ArrayList<>(lanes.size());
        for (Lane lane : lanes) {
            barriers.add(lane.loop().submit(() -> { }));
        }
        for (Future<?> barrier : barriers) {
            await(barrier, "quiesce receives for " + port);
        }
        await(port.lane().loop().submit(() -> {
            port.lane().remove(port);
            port.closeOnLoop();
        }), "close " + port);
    }

    /** Replaces network {@code vni}'s endpoint table (see {@link ForwardingDb#setEndpoints}). */
    public void setEndpoints(int vni, List<Endpoint> endpoints) {
        fdb.setEndpoints(vni, endpoints);
    }

    /** Replaces the set of cluster nodes VXLAN is accepted from (see {@link PeerFilter}). */
    public void setPeers(Collection<Ipv4Address> nodes) {
        peers.setPeers(nodes);
    }

    public ForwardingDb forwardingDb() {
        return fdb;
    }

    public PeerFilter peerFilter() {
        return peers;
    }

    public VtepCounters counters() {
        return counters;
    }

    public VtepConfig config() {
        return config;
    }

    /** The bound UDP address (the same on every lane), or {@code null} before binding. */
    public InetSocketAddress localAddress() {
        Channel channel = lanes.get(0).channel();
        return channel == null ? null : (InetSocketAddress) channel.localAddress();
    }

    /** Detaches every network and closes the sockets; idempotent. The event loop group stays the caller's. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        checkNotOnLoop();
        closed = true;
        for (Integer vni : List.copyOf(ports.keySet())) {
            detach(vni);
        }
        for (Lane lane : lanes) {
            for (Channel sender : lane.extraSenders()) {
                await(sender.close(), "close " + sender);
            }
            Channel channel = lane.channel();
            if (channel != null) {
                await(channel.close(), "close " + channel);
            }
        }
        logger.info("VTEP on udp {} closed; counters {}", config.socketAddress(), counters);
    }

    /**
     * Turns on TSO/checksum offload on a TAP opened with {@code IFF_VNET_HDR}. If the kernel
     * refuses, the offloads stay off (frames arrive whole and checksummed) but the descriptor still
     * carries a virtio_net_hdr, all zero, so the port works the same way: always {@code true}.
     */
    private static boolean enableOffloads(int fd, String tapName) {
        try {
            TunTap.setVnetHdrSize(fd, VirtioNetHeader.LENGTH);
            TunTap.setOffload(fd, TAP_OFFLOADS);
            return true;
        } catch (RuntimeException e) {
            logger.warn("TAP {}: no TSO offload ({}); every frame crosses one by one", tapName, e.toString());
            try {
                TunTap.setOffload(fd, 0);
            } catch (RuntimeException ignored) {
                // Offloads were never on, then.
            }
            return true; // still IFF_VNET_HDR: reads and writes carry a (zero) header
        }
    }

    /** Opens the TAP from a thread of our own that entered {@code netnsName}: namespaces are per thread. */
    private static int openTap(String netnsName, String tapName) {
        if (netnsName == null) {
            return TunTap.openTap(tapName, OFFLOAD, true);
        }
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread opener = new Thread(() -> {
            try (NetNs ns = NetNs.open(netnsName)) {
                ns.enter();
                result.complete(TunTap.openTap(tapName, OFFLOAD, true));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "fl-vxlan-open-" + tapName);
        opener.setDaemon(true);
        opener.start();
        try {
            return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException("cannot open TAP " + tapName + " in " + netnsName, e.getCause());
        } catch (TimeoutException e) {
            // If the thread still finishes, the descriptor leaks into a dead future: close it then.
            result.thenAccept(FileDescriptors::close);
            throw new IllegalStateException("opening TAP " + tapName + " in " + netnsName + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.thenAccept(FileDescriptors::close);
            throw new IllegalStateException("interrupted opening TAP " + tapName, e);
        }
    }

    private void checkNotOnLoop() {
        for (Lane lane : lanes) {
            if (lane.loop().inEventLoop()) {
                throw new IllegalStateException("blocking VTEP call on its own event loop " + lane.loop());
            }
        }
    }

    private static <T> T await(Future<T> future, String what) {
        try {
            if (!future.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + ": no answer within " + TIMEOUT_SECONDS + "s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        }
        if (!future.isSuccess()) {
            throw new IllegalStateException(what + ": " + future.cause().getMessage(), future.cause());
        }
        return future.getNow();
    }
}
