package dev.flotilla.cluster.store;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatusUpdate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The cluster store: the state machine's in-memory state. Transactions are applied in Raft
 * order by one thread; readers take {@link #view()}, an immutable snapshot swapped in after each
 * transaction, so they never block the apply path.
 *
 * <p>{@link #apply} is deterministic: it reads nothing but the transaction, the index and the
 * current state, so every manager that applies the same log reaches the same store. It is also
 * where uniqueness is decided ({@link StoreConstraints}): of two writes that would clash, sent to
 * two managers at once, the one Raft orders second is refused, whatever either API layer saw.
 */
public final class MemoryStore {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MemoryStore.class);

    private final List<Consumer<StoreView>> listeners = new CopyOnWriteArrayList<>();
    // Written only by the applying thread; read by anyone through the volatile swap.
    private volatile StoreView view = StoreView.EMPTY;
    // The last Raft index applied, refused transactions included; guarded by appliedLock.
    private final Object appliedLock = new Object();
    private long applied = -1;

    public StoreView view() {
        return view;
    }

    /** Called, on the applying thread, with the new view after every committed transaction. */
    public void addListener(Consumer<StoreView> listener) {
        listeners.add(listener);
    }

    /**
     * Applies all actions of {@code tx} or none: the first refused action refuses the whole
     * transaction. Task status reports are the exception: a stale one is skipped, not refused.
     */
    public StoreResult apply(StoreTransaction tx, long index) {
        Tables t = new Tables(view);
        for (StoreAction action : tx.getActionsList()) {
            Refusal refused = t.apply(action, index);
            if (refused != null) {
                markApplied(index);
                return StoreResult.newBuilder().setOk(false).setError(refused.message()).setConflict(refused.conflict())
                        .setIndex(index).build();
            }
        }
        publish(t.toView(index));
        markApplied(index);
        return StoreResult.newBuilder().setOk(true).setIndex(index).build();
    }

    /** Records that the entry at {@code index} was applied (or skipped as unreadable). */
    public void markApplied(long index) {
        synchronized (appliedLock) {
            applied = Math.max(applied, index);
            appliedLock.notifyAll();
        }
    }

    /**
     * Waits until the transaction at Raft {@code index} has been applied here (committed or
     * refused); returns false if that did not happen within {@code timeoutMs}.
     */
    public boolean awaitIndex(long index, long timeoutMs) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (appliedLock) {
            while (applied < index) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(appliedLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    public StoreSnapshot snapshot() {
        StoreView v = view;
        return StoreSnapshot.newBuilder()
                .addAllClusters(v.clusters().values())
                .addAllNodes(v.nodes().values())
                .addAllServices(v.services().values())
                .addAllTasks(v.tasks().values())
                .addAllNetworks(v.networks().values())
                .addAllSecrets(v.secrets().values())
                .addAllConfigs(v.configs().values())
                .build();
    }

    public void restore(StoreSnapshot snapshot, long index) {
        Tables t = new Tables(StoreView.EMPTY);
        snapshot.getClustersList().forEach(o -> t.clusters.put(o.getId(), o));
        snapshot.getNodesList().forEach(o -> t.nodes.put(o.getId(), o));
        snapshot.getServicesList().forEach(o -> t.services.put(o.getId(), LegacyStrings.upgrade(o)));
        snapshot.getTasksList().forEach(o -> t.tasks.put(o.getId(), LegacyStrings.upgrade(o)));
        snapshot.getNetworksList().forEach(o -> t.networks.put(o.getId(), o));
        snapshot.getSecretsList().forEach(o -> t.secrets.put(o.getId(), o));
        snapshot.getConfigsList().forEach(o -> t.configs.put(o.getId(), o));
        publish(t.toView(index));
        markApplied(index);
    }

    private void publish(StoreView next) {
        view = next;
        for (Consumer<StoreView> l : listeners) {
            // A listener's failure (one shutting down, say) must never fail the Raft apply thread.
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.warn("A store listener failed: {}", e.toString());
            }
        }
    }

    /** Why an action was refused. */
    record Refusal(StoreConflict conflict, String message) {
        static Refusal invalid(String message) {
            return new Refusal(StoreConflict.STORE_CONFLICT_INVALID, message);
        }
    }

    /** Mutable copies of the tables for one transaction. */
    private static final class Tables {
        final Map<String, Cluster> clusters;
        final Map<String, Node> nodes;
        final Map<String, Service> services;
        final Map<String, Task> tasks;
        final Map<String, Network> networks;
        final Map<String, Secret> secrets;
        final Map<String, Config> configs;

        Tables(StoreView v) {
            clusters = new HashMap<>(v.clusters());
            nodes = new HashMap<>(v.nodes());
            services = new HashMap<>(v.services());
            tasks = new HashMap<>(v.tasks());
            networks = new HashMap<>(v.networks());
            secrets = new HashMap<>(v.secrets());
            configs = new HashMap<>(v.configs());
        }

        StoreView toView(long index) {
            return new StoreView(index, Map.copyOf(clusters), Map.copyOf(nodes),
                    Map.copyOf(services), Map.copyOf(tasks), Map.copyOf(networks), Map.copyOf(secrets),
                    Map.copyOf(configs));
        }

        /** Returns null when applied, else why the action was refused. */
        Refusal apply(StoreAction a, long index) {
            ActionKind kind = a.getKind();
            switch (a.getTargetCase()) {
                case CLUSTER: {
                    Cluster o = a.getCluster();
                    return put(clusters, o.getId(), o.getMeta(), kind, "cluster",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case NODE: {
                    Node o = a.getNode();
                    return put(nodes, o.getId(), o.getMeta(), kind, "node",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case SERVICE: {
                    Service o = LegacyStrings.upgrade(a.getService());
                    if (kind != ActionKind.ACTION_REMOVE) {
                        Refusal clash = StoreConstraints.service(services.values(), o);
                        if (clash == null) {
                            clash = StoreConstraints.referencesOf(secrets, configs, o);
                        }
                        if (clash != null) {
                            return clash;
                        }
                    }
                    return put(services, o.getId(), o.getMeta(), kind, "service",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case TASK: {
                    Task o = LegacyStrings.upgrade(a.getTask());
                    Task current = tasks.get(o.getId());
                    if (kind == ActionKind.ACTION_UPDATE && current != null
                            && !current.getStatus().getState().equals(o.getStatus().getState())
                            && !TaskStates.canMove(current.getStatus().getState(), o.getStatus().getState())) {
                        return Refusal.invalid("task " + o.getId() + " cannot move from " + current.getStatus().getState()
                                + " to " + o.getStatus().getState());
                    }
                    return put(tasks, o.getId(), o.getMeta(), kind, "task",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case NETWORK: {
                    Network o = a.getNetwork();
                    if (kind != ActionKind.ACTION_REMOVE) {
                        Refusal clash = StoreConstraints.network(networks.values(), o);
                        if (clash != null) {
                            return clash;
                        }
                    }
                    return put(networks, o.getId(), o.getMeta(), kind, "network",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case SECRET: {
                    Secret o = a.getSecret();
                    Refusal clash = kind == ActionKind.ACTION_REMOVE
                            ? StoreConstraints.secretInUse(services.values(), secrets.getOrDefault(o.getId(), o))
                            : StoreConstraints.secret(secrets.values(), o);
                    if (clash != null) {
                        return clash;
                    }
                    return put(secrets, o.getId(), o.getMeta(), kind, "secret",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case CONFIG: {
                    Config o = a.getConfig();
                    Refusal clash = kind == ActionKind.ACTION_REMOVE
                            ? StoreConstraints.configInUse(services.values(), configs.getOrDefault(o.getId(), o))
                            : StoreConstraints.config(configs.values(), o);
                    if (clash != null) {
                        return clash;
                    }
                    return put(configs, o.getId(), o.getMeta(), kind, "config",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case TASK_STATUS:
                    applyStatus(a.getTaskStatus(), index);
                    return null;
                default:
                    return Refusal.invalid("empty store action");
            }
        }

        private void applyStatus(TaskStatusUpdate u, long index) {
            Task current = tasks.get(u.getTaskId());
            if (current == null || !TaskStates.canMove(current.getStatus().getState(), u.getStatus().getState())) {
                return;
            }
            Meta meta = current.getMeta().toBuilder()
                    .setVersion(index)
                    .setUpdatedAtMs(u.getStatus().getTimestampMs())
                    .build();
            Task.Builder moved = current.toBuilder().setMeta(meta).setStatus(u.getStatus());
            if (u.getStatus().getState() == TaskState.RUNNING && current.getRunningAtMs() == 0) {
                moved.setRunningAtMs(u.getStatus().getTimestampMs());
            }
            tasks.put(current.getId(), moved.build());
        }

        private static <T> Refusal put(Map<String, T> table, String id, Meta given, ActionKind kind,
                String what, java.util.function.Function<Meta, T> withMeta, long index) {
            if (id.isEmpty()) {
                return Refusal.invalid(what + " without an id");
            }
            T existing = table.get(id);
            switch (kind) {
                case ACTION_CREATE:
                    if (existing != null) {
                        return Refusal.invalid(what + " " + id + " already exists");
                    }
                    table.put(id, withMeta.apply(given.toBuilder().setVersion(index).build()));
                    return null;
                case ACTION_UPDATE:
                    if (existing == null) {
                        return Refusal.invalid(what + " " + id + " does not exist");
                    }
                    if (versionOf(existing) != given.getVersion()) {
                        return new Refusal(StoreConflict.STORE_CONFLICT_VERSION, what + " " + id
                                + " was changed concurrently (version " + given.getVersion() + " is out of date)");
                    }
                    table.put(id, withMeta.apply(given.toBuilder().setVersion(index).build()));
                    return null;
                case ACTION_REMOVE:
                    if (existing == null) {
                        return null;
                    }
                    table.remove(id);
                    return null;
                default:
                    return Refusal.invalid("unknown action " + kind);
            }
        }

        private static long versionOf(Object o) {
            if (o instanceof Cluster c) {
                return c.getMeta().getVersion();
            } else if (o instanceof Node n) {
                return n.getMeta().getVersion();
            } else if (o instanceof Service s) {
                return s.getMeta().getVersion();
            } else if (o instanceof Task t) {
                return t.getMeta().getVersion();
            } else if (o instanceof Network n) {
                return n.getMeta().getVersion();
            } else if (o instanceof Secret s) {
                return s.getMeta().getVersion();
            } else if (o instanceof Config c) {
                return c.getMeta().getVersion();
            }
            throw new IllegalArgumentException("not a store object: " + o.getClass());
        }
    }
}
