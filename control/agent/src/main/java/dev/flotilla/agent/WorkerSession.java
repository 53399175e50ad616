package dev.flotilla.agent;

import dev.flotilla.api.v1.DispatcherGrpc;
import dev.flotilla.api.v1.HeartbeatRequest;
import dev.flotilla.api.v1.LeaveRequest;
import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogSubscription;
import dev.flotilla.api.v1.PublishLogsMessage;
import dev.flotilla.api.v1.PublishLogsResponse;
import dev.flotilla.cluster.logs.LogReader;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import dev.flotilla.api.v1.SessionMessage;
import dev.flotilla.api.v1.SessionRequest;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.UpdateTaskStatusRequest;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.cluster.store.StoreView;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's connection to the swarm: one session with the leader over mutual TLS. What the
 * session streams down becomes this node's store view (the agent runs on it exactly as a
 * manager's agent runs on the replicated store); status batches and heartbeats go up. When the
 * session breaks the node keeps running its tasks and tries the managers it knows in turn, with
 * backoff, until one leads.
 */
public final class WorkerSession implements ClusterConnection, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerSession.class);

    static final long RPC_DEADLINE_MS = 5000;
    static final long MAX_BACKOFF_MS = 2000;
    static final long REFUSED_BACKOFF_MS = 30_000;

    private final ChannelFactory channels;
    private final SessionRequest description;
    private final MemoryStore store = new MemoryStore();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fl-session");
        t.setDaemon(true);
        return t;
    });
    // Written on the loop; volatile for RPCs from the agent's threads.
    private volatile List<String> managers;
    private volatile ManagedChannel channel;
    private volatile long heartbeatMs = 5000;
    private int attempt;
    private int next;
    private ScheduledFuture<?> heartbeats;
    private volatile boolean closed;
    private volatile boolean refused;
    private final java.util.concurrent.CompletableFuture<Void> opened = new java.util.concurrent.CompletableFuture<>();
    private volatile LogReader logReader;
    private volatile String nodeId = "";
    /** The log subscriptions this node publishes, by id: each one's cancel handle. */
    private final Map<String, Runnable> logReads = new ConcurrentHashMap<>();

    public WorkerSession(NodeCertificate identity, SessionRequest description, List<String> managers) {
        this(target -> NettyChannelBuilder.forTarget(target)
                .sslContext(identity.clientContext())
                .overrideAuthority(CertificateAuthority.OU_MANAGER)
                .maxInboundMessageSize(64 << 20)
                .keepAliveTime(10, TimeUnit.SECONDS)
                .build(), description, managers);
    }

    /** @param channels opens the channel to a manager's host:port (mutual TLS on a node; in-process in tests) */
    WorkerSession(ChannelFactory channels, SessionRequest description, List<String> managers) {
        this.channels = channels;
        this.description = description;
        this.managers = List.copyOf(managers);
    }

    /** Opens a channel to one manager. */
    @FunctionalInterface
    interface ChannelFactory {
        ManagedChannel open(String target) throws SSLException;
    }

    public void start() {
        loop.execute(this::connect);
    }

    /** The managers this node last heard of (host:port). */
    public List<String> managers() {
        return managers;
    }

    @Override
    public StoreView view() {
        return store.view();
    }

    @Override
    public void addListener(Consumer<StoreView> listener) {
        store.addListener(listener);
    }

    @Override
    public long now() {
        return System.currentTimeMillis();
    }

    /** Sends task status reports; throws when no manager took them (the reporter retries). */
    @Override
    public void write(List<StoreAction> actions) {
        UpdateTaskStatusRequest.Builder b = UpdateTaskStatusRequest.newBuilder();
        for (StoreAction a : actions) {
            if (a.hasTaskStatus()) {
                b.addUpdates(a.getTaskStatus());
            }
        }
        ManagedChannel ch = channel;
        if (ch == null) {
            throw new IllegalStateException("no session with a manager");
        }
        DispatcherGrpc.newBlockingStub(ch).withDeadlineAfter(RPC_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .updateTaskStatus(b.build());
    }

    /**
     * Tells the leader this node leaves (it is marked Down at once), best effort, and stops: no
     * reconnection follows.
     */
    public void leave() {
        closed = true;
        ManagedChannel ch = channel;
        if (ch == null) {
            return;
        }
        try {
            DispatcherGrpc.newBlockingStub(ch).withDeadlineAfter(3, TimeUnit.SECONDS).leave(LeaveRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            log.warn("Could not tell the manager that this node leaves: {}", e.getStatus().getDescription());
        }
    }

    /**
     * Waits until a manager has accepted this node's session (it is then Ready in the store) and its
     * first assignments are this session's view.
     */
    public boolean awaitSession(long timeoutMs) {
        try {
            opened.get(timeoutMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code r} on a pool thread once {@link #awaitSession} would say yes (at once if it does now). */
    public void whenOpen(Runnable r) {
        opened.thenRunAsync(r);
    }

    private void connect() {
        if (closed) {
            return;
        }
        List<String> known = managers;
        String target = known.get(Math.floorMod(next++, known.size()));
        ManagedChannel ch;
        try {
            ch = channels.open(target);
        } catch (SSLException e) {
            log.error("Cannot build TLS context from this node's certificate: {}", e.getMessage());
            retry();
            return;
        }
        ManagedChannel old = channel;
        channel = ch;
        if (old != null) {
            old.shutdownNow();
        }
        DispatcherGrpc.newStub(ch).session(description, new StreamObserver<>() {
            private boolean first = true;

            @Override
            public void onNext(SessionMessage m) {
                if (m.hasLogSubscription()) {
                    serveLogs(m.getLogSubscription());
                    return;
                }
                store.restore(m.getAssignments(), m.getIndex());
                if (first) {
                    // Open only once the view holds the assignments: an agent switched to an empty view stops its tasks.
                    first = false;
                    log.info("Session open with manager {}", target);
                    opened.complete(null);
                    loop.execute(() -> attempt = 0);
                }
                if (!m.getManagersList().isEmpty()) {
                    managers = List.copyOf(m.getManagersList());
                }
                if (m.getHeartbeatPeriodMs() > 0 && m.getHeartbeatPeriodMs() != heartbeatMs) {
                    heartbeatMs = m.getHeartbeatPeriodMs();
                    loop.execute(WorkerSession.this::scheduleHeartbeats);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (closed) {
                    return;
                }
                if (t instanceof StatusRuntimeException e && e.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED) {
                    // Removed from the swarm (node rm): say so once, then ask rarely.
                    if (!refused) {
                        log.error("The swarm refuses this node: {}. Run `flotilla swarm leave` to leave it for good.",
                                describe(t));
                    }
                    refused = true;
                    loop.execute(() -> attempt = 10);
                } else {
                    refused = false;
                    log.warn("Session with manager {} ended: {}", target, describe(t));
                }
                retry();
            }

            @Override
            public void onCompleted() {
                if (!closed) {
                    log.warn("Session with manager {} closed by the manager", target);
                    retry();
                }
            }
        });
        scheduleHeartbeats();
    }

    private void scheduleHeartbeats() {
        if (heartbeats != null) {
            heartbeats.cancel(false);
        }
        if (!closed) {
            heartbeats = loop.scheduleAtFixedRate(this::heartbeat, 0, heartbeatMs, TimeUnit.MILLISECONDS);
        }
    }

    private void heartbeat() {
        ManagedChannel ch = channel;
        if (ch == null) {
            return;
        }
        DispatcherGrpc.newStub(ch).withDeadlineAfter(heartbeatMs, TimeUnit.MILLISECONDS)
                .heartbeat(HeartbeatRequest.getDefaultInstance(), new StreamObserver<>() {
                    public void onNext(dev.flotilla.api.v1.HeartbeatResponse r) {
                    }

                    public void onError(Throwable t) {
                        log.debug("Heartbeat failed: {}", describe(t));
                    }

                    public void onCompleted() {
                    }
                });
    }

    private void retry() {
        if (closed) {
            return;
        }
        loop.execute(() -> {
            long delay = refused ? REFUSED_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, 100L << Math.min(attempt++, 5));
            loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        });
    }

    private static String describe(Throwable t) {
        if (t instanceof StatusRuntimeException e) {
            String d = e.getStatus().getDescription();
            return e.getStatus().getCode() + (d == null ? "" : ": " + d);
        }
        return t.toString();
    }

    /** Serves the session's log subscriptions with {@code reader}, for this node {@code nodeId}. */
    public void serveLogs(String nodeId, LogReader reader) {
        this.nodeId = nodeId;
        this.logReader = reader;
    }

    /**
     * A log subscription from the leader: this node's lines for it go up one PublishLogs stream,
     * which is closed once they are all sent (or with an error line if they cannot be read).
     */
    private void serveLogs(LogSubscription sub) {
        if (sub.getCancel()) {
            Runnable cancel = logReads.remove(sub.getId());
            if (cancel != null) {
                cancel.run();
            }
            return;
        }
        LogReader reader = logReader;
        ManagedChannel ch = channel;
        if (reader == null || ch == null) {
            return;
        }
        String id = sub.getId();
        StreamObserver<PublishLogsMessage> up = DispatcherGrpc.newStub(ch).publishLogs(new StreamObserver<>() {
            @Override
            public void onNext(PublishLogsResponse r) {
            }

            @Override
            public void onError(Throwable t) {
                Runnable cancel = logReads.remove(id);
                if (cancel != null) {
                    cancel.run();
                }
            }

            @Override
            public void onCompleted() {
            }
        });
        up.onNext(PublishLogsMessage.newBuilder().setSubscriptionId(id).build());
        Runnable cancel = reader.read(nodeId, sub.getSourcesList(), sub.getOptions(), new StreamObserver<>() {
            @Override
            public void onNext(LogMessage m) {
                up.onNext(PublishLogsMessage.newBuilder().setSubscriptionId(id).addMessages(m).build());
            }

            @Override
            public void onError(Throwable t) {
                logReads.remove(id);
                up.onNext(PublishLogsMessage.newBuilder().setSubscriptionId(id).addMessages(LogMessage.newBuilder()
                        .setNodeId(nodeId).setError(describe(t))).build());
                up.onCompleted();
            }

            @Override
            public void onCompleted() {
                logReads.remove(id);
                up.onCompleted();
            }
        });
        logReads.put(id, cancel);
    }

    @Override
    public void close() {
        closed = true;
        logReads.values().forEach(Runnable::run);
        logReads.clear();
        loop.shutdownNow();
        ManagedChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.shutdownNow();
        }
    }
}
