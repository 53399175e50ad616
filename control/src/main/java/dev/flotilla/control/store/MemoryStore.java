package dev.flotilla.control.store;

import dev.flotilla.control.api.v1.ActionKind;
import dev.flotilla.control.api.v1.Cluster;
import dev.flotilla.control.api.v1.Meta;
import dev.flotilla.control.api.v1.Network;
import dev.flotilla.control.api.v1.Node;
import dev.flotilla.control.api.v1.Service;
import dev.flotilla.control.api.v1.StoreAction;
import dev.flotilla.control.api.v1.StoreResult;
import dev.flotilla.control.api.v1.StoreSnapshot;
import dev.flotilla.control.api.v1.StoreTransaction;
import dev.flotilla.control.api.v1.Task;
import dev.flotilla.control.api.v1.TaskStatusUpdate;
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
 * current state, so every manager that applies the same log reaches the same store.
 */
public final class MemoryStore {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MemoryStore.class);

    private final List<Consumer<StoreView>> listeners = new CopyOnWriteArrayList<>();
    // Written only by the applying thread; read by anyone through the volatile swap.
    private volatile StoreView view = StoreView.EMPTY;

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
            String error = t.apply(action, index);
            if (error != null) {
                return StoreResult.newBuilder().setOk(false).setError(error).setIndex(index).build();
            }
        }
        publish(t.toView(index));
        return StoreResult.newBuilder().setOk(true).setIndex(index).build();
    }

    public StoreSnapshot snapshot() {
        StoreView v = view;
        return StoreSnapshot.newBuilder()
                .addAllClusters(v.clusters().values())
                .addAllNodes(v.nodes().values())
                .addAllServices(v.services().values())
                .addAllTasks(v.tasks().values())
                .addAllNetworks(v.networks().values())
                .build();
    }

    public void restore(StoreSnapshot snapshot, long index) {
        Tables t = new Tables(StoreView.EMPTY);
        snapshot.getClustersList().forEach(o -> t.clusters.put(o.getId(), o));
        snapshot.getNodesList().forEach(o -> t.nodes.put(o.getId(), o));
        snapshot.getServicesList().forEach(o -> t.services.put(o.getId(), o));
        snapshot.getTasksList().forEach(o -> t.tasks.put(o.getId(), o));
        snapshot.getNetworksList().forEach(o -> t.networks.put(o.getId(), o));
        publish(t.toView(index));
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

    /** Mutable copies of the tables for one transaction. */
    private static final class Tables {
        final Map<String, Cluster> clusters;
        final Map<String, Node> nodes;
        final Map<String, Service> services;
        final Map<String, Task> tasks;
        final Map<String, Network> networks;

        Tables(StoreView v) {
            clusters = new HashMap<>(v.clusters());
            nodes = new HashMap<>(v.nodes());
            services = new HashMap<>(v.services());
            tasks = new HashMap<>(v.tasks());
            networks = new HashMap<>(v.networks());
        }

        StoreView toView(long index) {
            return new StoreView(index, Map.copyOf(clusters), Map.copyOf(nodes),
                    Map.copyOf(services), Map.copyOf(tasks), Map.copyOf(networks));
        }

        /** Returns null when applied, else why the action was refused. */
        String apply(StoreAction a, long index) {
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
                    Service o = a.getService();
                    if (kind != ActionKind.ACTION_REMOVE) {
                        String name = o.getSpec().getName();
                        for (Service other : services.values()) {
                            if (!other.getId().equals(o.getId()) && other.getSpec().getName().equals(name)) {
                                return "service name " + name + " is already in use";
                            }
                        }
                    }
                    return put(services, o.getId(), o.getMeta(), kind, "service",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case TASK: {
                    Task o = a.getTask();
                    Task current = tasks.get(o.getId());
                    if (kind == ActionKind.ACTION_UPDATE && current != null
                            && !current.getStatus().getState().equals(o.getStatus().getState())
                            && !TaskStates.canMove(current.getStatus().getState(), o.getStatus().getState())) {
                        return "task " + o.getId() + " cannot move from " + current.getStatus().getState()
                                + " to " + o.getStatus().getState();
                    }
                    return put(tasks, o.getId(), o.getMeta(), kind, "task",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case NETWORK: {
                    Network o = a.getNetwork();
                    return put(networks, o.getId(), o.getMeta(), kind, "network",
                            m -> o.toBuilder().setMeta(m).build(), index);
                }
                case TASK_STATUS:
                    applyStatus(a.getTaskStatus(), index);
                    return null;
                default:
                    return "empty store action";
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
            tasks.put(current.getId(), current.toBuilder().setMeta(meta).setStatus(u.getStatus()).build());
        }

        private static <T> String put(Map<String, T> table, String id, Meta given, ActionKind kind,
                String what, java.util.function.Function<Meta, T> withMeta, long index) {
            if (id.isEmpty()) {
                return what + " without an id";
            }
            T existing = table.get(id);
            switch (kind) {
                case ACTION_CREATE:
                    if (existing != null) {
                        return what + " " + id + " already exists";
                    }
                    table.put(id, withMeta.apply(given.toBuilder().setVersion(index).build()));
                    return null;
                case ACTION_UPDATE:
                    if (existing == null) {
                        return what + " " + id + " does not exist";
                    }
                    if (versionOf(existing) != given.getVersion()) {
                        return what + " " + id + " was changed concurrently (version "
                                + given.getVersion() + " is out of date)";
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
                    return "unknown action " + kind;
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
            }
            throw new IllegalArgumentException("not a store object: " + o.getClass());
        }
    }
}
