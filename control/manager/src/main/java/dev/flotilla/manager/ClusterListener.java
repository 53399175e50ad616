package dev.flotilla.manager;

import dev.flotilla.cluster.store.Actions;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.RaftMember;
import dev.flotilla.cluster.ca.NodeAuthInterceptor;
import dev.flotilla.manager.NodeCaService;
import dev.flotilla.cluster.ca.NodeCertificate;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A manager's port 2377: the CA's join service (token-only) and the dispatcher (mutual TLS), both
 * behind {@link NodeAuthInterceptor}. Listens on all addresses, as Docker's default
 * {@code --listen-addr 0.0.0.0:2377} does.
 */
public final class ClusterListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterListener.class);

    public static final int PORT = 2377;
    static final int MAX_MESSAGE_BYTES = 64 << 20;

    private final Server server;

    private ClusterListener(Server server) {
        this.server = server;
    }

    /** @param extra more services for nodes (mutual TLS, callers checked as for the others) */
    public static ClusterListener start(int port, NodeCertificate identity, Manager manager, Dispatcher dispatcher,
            java.util.List<io.grpc.BindableService> extra) {
        String clusterId = identity.identity().clusterId();
        NodeAuthInterceptor auth = new NodeAuthInterceptor(clusterId, id -> manager.view().node(id).isPresent());
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(port));
            extra.forEach(service -> builder.addService(ServerInterceptors.intercept(service, auth)));
            Server server = builder
                    .sslContext(identity.serverContext())
                    .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .addService(ServerInterceptors.intercept(new NodeCaService(admission(manager)), auth))
                    .addService(ServerInterceptors.intercept(dispatcher, auth))
                    .addService(ServerInterceptors.intercept(new RaftMembershipService(manager), auth))
                    .build()
                    .start();
            log.info("Listening for nodes on 0.0.0.0:{} (mutual TLS)", port);
            return new ClusterListener(server);
        } catch (IOException e) {
            if (e.getCause() instanceof BindException || e instanceof BindException) {
                throw new IllegalStateException("cannot listen on 0.0.0.0:" + port + " for the swarm: the port is in use", e);
            }
            throw new UncheckedIOException("cannot listen on 0.0.0.0:" + port, e);
        }
    }

    /** Admitted nodes enter the store Unknown; their session makes them Ready. */
    private static NodeCaService.Admission admission(Manager manager) {
        return new NodeCaService.Admission() {
            @Override
            public Optional<Cluster> cluster() {
                return manager.view().cluster();
            }

            @Override
            public void admit(String nodeId, NodeRole role, String hostname, String addr) {
                long now = manager.now();
                manager.write(List.of(Actions.create(Node.newBuilder()
                        .setId(nodeId)
                        .setMeta(Actions.meta(now))
                        .setRole(role)
                        .setAvailability(NodeAvailability.ACTIVE)
                        .setHostname(hostname)
                        .setAddr(addr)
                        .setState(NodeState.NODE_UNKNOWN)
                        .build())));
            }

            @Override
            public String raftGroupId() {
                return manager.raft().groupUuid().toString();
            }

            @Override
            public List<RaftMember> raftMembers() {
                return manager.raft().members().stream().map(p -> RaftMember.newBuilder()
                        .setId(p.id()).setAddr(p.address()).build()).toList();
            }
        };
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
