package dev.flotilla.manager;

import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.cluster.ca.NodeAuthInterceptor;
import dev.flotilla.cluster.ca.PeerIdentity;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.manager.raft.RaftNode;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A manager whose store commits locally: a one-member Raft group on loopback (no TLS), its store, and the
 * {@link Manager} over them. Its reconcile loops do not run unless a test starts them. Also the in-process
 * stand-in for port 2377's TLS identity: {@link #asNode} on the client, {@link #peerFromHeader} on the server.
 */
public final class OneManager implements AutoCloseable {

    public static final String SELF = "manager1";
    private static final Metadata.Key<String> NODE = Metadata.Key.of("x-test-node-id", Metadata.ASCII_STRING_MARSHALLER);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final MemoryStore store = new MemoryStore();
    private final RaftNode raft;
    private final Manager manager;
    private final Object commits = new Object();

    public OneManager(Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        raft = RaftNode.start(dir, UUID.randomUUID(), SELF, "127.0.0.1", port,
                List.of(RaftNode.peer(SELF, "127.0.0.1:" + port)), store);
        manager = new Manager(raft, store, Clock.systemUTC(), 5);
        store.addListener(v -> {
            synchronized (commits) {
                commits.notifyAll();
            }
        });
        await(v -> raft.isLeader(), "the one Raft member to lead");
    }

    public Manager manager() {
        return manager;
    }

    public StoreView view() {
        return store.view();
    }

    public void write(StoreAction... actions) {
        manager.write(List.of(actions));
    }

    /** Waits until the store shows {@code condition}; fails the test at the deadline. */
    public StoreView await(Predicate<StoreView> condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        synchronized (commits) {
            while (!condition.test(store.view())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
                }
                try {
                    // Woken by every commit; the bound re-checks conditions that are not about the store.
                    commits.wait(Math.min(50, Math.max(1, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
        return store.view();
    }

    /** Calls through a channel with this interceptor come from node {@code nodeId} of the swarm. */
    public static ClientInterceptor asNode(String nodeId) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(NODE, nodeId);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /** What {@link NodeAuthInterceptor} makes of a node certificate, made of {@link #asNode}'s header instead. */
    public static ServerInterceptor peerFromHeader(String clusterId) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                String nodeId = headers.get(NODE);
                if (nodeId == null) {
                    call.close(Status.UNAUTHENTICATED.withDescription("no test node id"), new Metadata());
                    return new ServerCall.Listener<>() {
                    };
                }
                PeerIdentity peer = new PeerIdentity(nodeId, false, clusterId);
                return Contexts.interceptCall(Context.current().withValue(NodeAuthInterceptor.PEER, peer), call, headers, next);
            }
        };
    }

    @Override
    public void close() throws IOException {
        manager.close();
        raft.close();
    }
}
