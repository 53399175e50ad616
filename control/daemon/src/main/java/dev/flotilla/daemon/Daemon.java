package dev.flotilla.daemon;

import dev.flotilla.agent.LocalLogs;
import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.manager.logs.LogsService;
import dev.flotilla.common.Version;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.agent.Agent;
import dev.flotilla.agent.IngressMesh;
import dev.flotilla.agent.Overlay;
import dev.flotilla.agent.SandboxNetwork;
import dev.flotilla.agent.ServiceDiscovery;
import dev.flotilla.agent.VipBalancers;
import dev.flotilla.manager.allocator.PortProbe;
import dev.flotilla.manager.controlapi.ControlService;
import dev.flotilla.daemon.EngineService;
import dev.flotilla.daemon.membership.LocalSwarm;
import dev.flotilla.daemon.membership.NodeDescription;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.executor.ImageReference;
import dev.flotilla.executor.ImageStore;
import dev.flotilla.executor.RuncExecutor;
import dev.flotilla.executor.RuncRuntime;
import dev.flotilla.executor.VolumeStore;
import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dns.DnsServerOptions;
import dev.flotilla.dns.EmbeddedDnsServer;
import dev.flotilla.dns.ResolvConf;
import dev.flotilla.dns.SandboxDnsListeners;
import dev.flotilla.ingress.IngressRouter;
import dev.flotilla.ingress.Protocol;
import dev.flotilla.ingress.ProxyOptions;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Flotilla node: the local API socket, the swarm membership (manager, Raft), the agent that
 * runs tasks, and the data plane it programs. Stops cleanly on SIGTERM: tasks stopped, every
 * namespace, link and container it made removed. A daemon started after a crash removes what the
 * crashed one left before it starts anything.
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final DaemonConfig config;
    private final ImageStore images;
    private final RuncRuntime runtime;
    private final LocalLogs logs;
    private final SandboxNetwork network;
    private final EventLoopGroup meshLoops;
    private final MultiThreadIoEventLoopGroup vxlanLoops;
    private final IngressRouter router;
    private final IngressMesh mesh;
    private final EventLoopGroup dnsLoops;
    private final EmbeddedDnsServer dns;
    private final ServiceDiscovery discovery;
    private final LocalSwarm swarm;
    private final AtomicReference<Agent> agent = new AtomicReference<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private EventLoopGroup apiLoops;
    private Server server;
    private FileChannel lockFile;

    private Daemon(DaemonConfig config) {
        this.config = config;
        this.images = new ImageStore(config.dataRoot().resolve("images"), config.registries());
        this.runtime = new RuncRuntime(config.dataRoot().resolve("containers"), images,
                new VolumeStore(config.dataRoot().resolve("volumes")), config.runc(), null);
        this.network = new SandboxNetwork(config.tag());
        this.meshLoops = NetnsEventLoops.inCurrentNamespace("mesh", Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.vxlanLoops = NetnsEventLoops.inCurrentNamespace("vxlan", Math.min(4, Runtime.getRuntime().availableProcessors()));
        this.router = new IngressRouter(meshLoops, ProxyOptions.DEFAULTS.withTcpIdleTimeout(config.lbIdleTimeout()));
        this.mesh = new IngressMesh(router);
        // One group serves every sandbox's DNS sockets and forwards from the daemon's namespace.
        this.dnsLoops = NetnsEventLoops.inCurrentNamespace("dns", 2);
        this.dns = EmbeddedDnsServer.start(DnsServerOptions.defaults().withTtlSeconds(config.dnsTtlSeconds()),
                dnsLoops, config.dnsUpstreams().isEmpty()
                        ? ResolvConf.upstreams(ResolvConf.HOST_RESOLV_CONF)
                        : config.dnsUpstreams());
        this.discovery = new ServiceDiscovery(dns, new SandboxDnsListeners(dns, dnsLoops));
        this.logs = new LocalLogs(runtime.logs());
        this.swarm = new LocalSwarm(config.dataRoot(), new NodeDescription(Hostnames.local(), Version.VERSION),
                this::startAgent, this::stopAgent, logs);
    }

    /** Runs until SIGTERM; returns the process exit code. */
    public static int run(DaemonConfig config) throws Exception {
        if (!"root".equals(ProcessHandle.current().info().user().orElse(""))) {
            System.err.println("flotilla daemon needs to run as root");
            return 1;
        }
        Daemon daemon = new Daemon(config);
        try {
            daemon.start();
        } catch (DaemonStartException e) {
            System.err.println(e.getMessage());
            daemon.stop();
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::stop, "fl-shutdown"));
        daemon.stopped.await();
        return 0;
    }

    private void start() throws IOException {
        Files.createDirectories(config.dataRoot());
        Files.setPosixFilePermissions(config.dataRoot(), PosixFilePermissions.fromString("rwx------"));
        lock();
        log.info("Flotilla {} starting: data root {}, socket {}, namespace prefix fl-{}-",
                Version.VERSION, config.dataRoot(), config.socket(), config.tag());
        removeLeftovers();
        network.setUpNode();
        // The swarm first: a restarted manager's store is replayed before the API answers from it.
        swarm.start();
        startApi();
        log.info("Daemon ready on unix://{}", config.socket());
    }

    /** Containers and namespaces of a daemon that was killed: removed, its tasks are replaced. */
    private void removeLeftovers() {
        runtime.list().forEach(c -> {
            log.info("Removing container {} ({}) left by a previous daemon", c.name(), c.id());
            runtime.remove(c.id());
        });
        network.removeAll();
    }

    private void startApi() throws IOException {
        Path socket = config.socket();
        Files.createDirectories(socket.getParent());
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwx------"));
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new DaemonStartException("another daemon is already listening on unix://" + socket);
            }
            Files.delete(socket);
        }
        apiLoops = new MultiThreadIoEventLoopGroup(2, EpollIo.newFactory());
        HealthStatusManager health = new HealthStatusManager();
        PortProbe probe = (port, protocol) -> {
            Protocol p = protocol == PortConfig.Protocol.UDP ? Protocol.UDP : Protocol.TCP;
            return IngressRouter.probe(port, p) ? Optional.empty()
                    : Optional.of("port " + port + "/" + p + " is already in use on this node");
        };
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(apiLoops)
                .workerEventLoopGroup(apiLoops)
                .addService(new ControlService(swarm, probe,
                        (image, auth) -> images.registry().resolve(ImageReference.parse(image),
                                EngineService.credentials(auth))))
                .addService(new LogsService(swarm, logs))
                .addService(new EngineService(config, images, runtime, swarm, agent::get, logs))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build()
                .start();
        // Root only: the directory is 0700 already; the socket itself too.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    }

    private void startAgent(ClusterConnection cluster, String nodeId) {
        Agent a = new Agent(nodeId, cluster, new RuncExecutor(runtime), network, mesh, new Overlay(vxlanLoops, network), discovery,
                new VipBalancers(network, ProxyOptions.DEFAULTS.withTcpIdleTimeout(config.lbIdleTimeout())));
        if (agent.compareAndSet(null, a)) {
            a.start();
        }
    }

    /** Leaving the swarm: tasks stopped, the routing mesh closed, sandboxes removed. */
    private void stopAgent() {
        Agent a = agent.getAndSet(null);
        if (a != null) {
            a.close();
        }
        mesh.close();
        discovery.close();
        removeLeftovers();
        network.setUpNode();
    }

    private void lock() throws IOException {
        lockFile = FileChannel.open(config.dataRoot().resolve("daemon.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.tryLock();
        if (lock == null) {
            throw new DaemonStartException("another daemon is running with data root " + config.dataRoot());
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private synchronized void stop() {
        if (stopped.getCount() == 0) {
            return;
        }
        log.info("Daemon stopping");
        Agent a = agent.getAndSet(null);
        if (a != null) {
            a.close();
        }
        mesh.close();
        discovery.close();
        dns.close();
        dnsLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        router.close();
        meshLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        vxlanLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        swarm.close();
        logs.close();
        if (server != null) {
            server.shutdownNow();
            try {
                server.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            apiLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            try {
                Files.deleteIfExists(config.socket());
            } catch (IOException e) {
                log.warn("Cannot remove socket {}: {}", config.socket(), e.toString());
            }
        }
        try {
            removeLeftovers();
        } catch (RuntimeException e) {
            log.warn("Cleanup incomplete: {}", e.getMessage());
        }
        if (lockFile != null) {
            try {
                lockFile.close();
            } catch (IOException e) {
                log.debug("lock file close: {}", e.toString());
            }
        }
        log.info("Daemon stopped");
        stopped.countDown();
    }

    /** A reason the daemon cannot start that the operator can fix. */
    static final class DaemonStartException extends RuntimeException {
        DaemonStartException(String message) {
            super(message);
        }
    }
}
