package dev.flotilla.agent;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.executor.Executor;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Interface;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker side of a node: runs the tasks the scheduler assigned here and programs this node's
 * data plane (sandboxes, the networks' namespaces and VTEP, the routing mesh) from the store. On
 * every change it first updates the routing mesh, so a task that is being stopped has already left
 * every pool.
 */
public final class Agent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    /** A pass also runs this often, so a restart delay that ends is noticed without an event. */
    static final long TICK_MS = 250;
    static final long LOG_SWEEP_MS = 10_000;

    private final String nodeId;
    private final ClusterConnection cluster;
    private final Executor executor;
    private final SandboxNetwork network;
    private final IngressMesh mesh;
    private final Overlay overlay;
    private final ServiceDiscovery discovery;
    private final VipBalancers vips;
    private final StatusReporter reporter;
    private final Map<String, TaskRunner> runners = new ConcurrentHashMap<>();
    private final Semaphore starts = TaskRunner.startsAtOnce();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fl-task");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fl-agent");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean dirty = new AtomicBoolean();
    // Only touched on the agent's loop thread.
    private final Set<String> networksReady = new java.util.HashSet<>();
    // Containers this daemon started. A task past ASSIGNED whose container is not one of them
    // was started by a previous daemon, whose containers were removed when this one started.
    private final Set<String> ownContainers = ConcurrentHashMap.newKeySet();
    // Read and written on the loop only.
    private long lastLogSweep;

    /**
     * @param overlay this node's VTEP programming; the agent closes it when it closes
     * @param discovery this node's embedded DNS; the agent closes its sandboxes' listeners when it closes
     * @param vips the VIP balancers of the networks present here; the agent closes them when it closes
     */
    public Agent(String nodeId, ClusterConnection cluster, Executor executor, SandboxNetwork network, IngressMesh mesh,
                 Overlay overlay, ServiceDiscovery discovery, VipBalancers vips) {
        this.nodeId = nodeId;
        this.cluster = cluster;
        this.executor = executor;
        this.network = network;
        this.mesh = mesh;
        this.overlay = overlay;
        this.discovery = discovery;
        this.vips = vips;
        this.reporter = new StatusReporter(cluster::write);
    }

    public void start() {
        cluster.addListener(v -> markDirty());
        loop.scheduleWithFixedDelay(this::markDirty, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        markDirty();
    }

    /** This node's runners by container id, name or id prefix. */
    public Optional<TaskHandle> findContainer(String key) {
        for (TaskRunner r : runners.values()) {
            if (r.containerId().equals(key) || r.containerName().equals(key)) {
                return Optional.of(r);
            }
        }
        List<TaskRunner> prefixed = runners.values().stream()
                .filter(r -> key.length() >= 1 && r.containerId().startsWith(key)).limit(2).toList();
        return prefixed.size() == 1 ? Optional.of(prefixed.get(0)) : Optional.empty();
    }

    private void markDirty() {
        if (!loop.isShutdown() && dirty.compareAndSet(false, true)) {
            try {
                loop.execute(this::reconcile);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closing: no more passes.
            }
        }
    }

    private void reconcile() {
        dirty.set(false);
        StoreView view = cluster.view();
        try {
            mesh.update(view);
            // Names follow the store on every pass: a task that stops leaves DNS with the pool.
            discovery.update(view);
            // The VTEP first learns the underlay MTU, so the links made below get underlay - 50.
            overlay.prepare(view, nodeId);
            ensureNetworks(view);
            // Before tasks start: a new task's sandbox finds its networks' TAPs ready.
            overlay.update(view, nodeId, Set.copyOf(networksReady));
            // Each network's VIPs, balanced from this node's LB address on it, before tasks start.
            vips.update(view, nodeId, Set.copyOf(networksReady));
            long now = cluster.now();
            for (Task t : view.tasksOnNode(nodeId)) {
                TaskRunner r = runners.get(t.getId());
                if (r != null) {
                    if (!TaskStates.wantsToRun(t)) {
                        workers.execute(r::shutdown);
                    }
                    continue;
                }
                if (!TaskStates.wantsToRun(t) || TaskStates.isTerminal(t.getStatus().getState())) {
                    continue;
                }
                if (t.getStatus().getState() == TaskState.ASSIGNED) {
                    if (now >= t.getNotBeforeMs()) {
                        startRunner(t, view);
                    }
                } else if (t.getStatus().getState().getNumber() >= TaskState.ACCEPTED_VALUE
                        && !ownContainers.contains(t.getStatus().getContainerId())) {
                    // Accepted before this daemon started: its container went with the old daemon.
                    reporter.report(t.getId(), Actions.status(TaskState.FAILED, "lost", now).toBuilder()
                            .setErr("task lost: the node's daemon restarted").build());
                }
            }
            for (TaskRunner r : runners.values()) {
                if (view.task(r.task().getId()).isEmpty()) {
                    workers.execute(r::shutdown);
                }
            }
            retainLogs(view, now);
        } catch (RuntimeException e) {
            log.warn("Agent pass failed", e);
        }
    }

    /**
     * A task's logs live as long as the task is in the store (its history row): every
     * {@link #LOG_SWEEP_MS} the logs of containers no task here names any more are deleted.
     */
    private void retainLogs(StoreView view, long now) {
        if (now - lastLogSweep < LOG_SWEEP_MS) {
            return;
        }
        lastLogSweep = now;
        Set<String> keep = new java.util.HashSet<>();
        view.tasksOnNode(nodeId).forEach(t -> keep.add(t.getStatus().getContainerId()));
        runners.values().forEach(r -> keep.add(r.containerId()));
        try {
            executor.retainLogs(keep);
        } catch (RuntimeException e) {
            log.warn("Could not clean up task logs: {}", e.getMessage());
        }
    }

    private void startRunner(Task t, StoreView view) {
        java.util.Map<String, dev.flotilla.api.v1.Secret> secrets = new java.util.HashMap<>();
        t.getSpec().getSecretsList().forEach(ref -> view.secret(ref.getSecretId()).ifPresent(s -> secrets.put(s.getId(), s)));
        java.util.Map<String, dev.flotilla.api.v1.Config> configs = new java.util.HashMap<>();
        t.getSpec().getConfigsList().forEach(ref -> view.config(ref.getConfigId()).ifPresent(c -> configs.put(c.getId(), c)));
        TaskRunner r = new TaskRunner(t, nodeId, executor, network, reporter, discovery,
                DiscoveryRecords.scope(view, t), secrets, configs, starts, () -> {
            runners.remove(t.getId());
            markDirty();
        });
        ownContainers.add(r.containerId());
        runners.put(t.getId(), r);
        workers.execute(r);
    }

    /**
     * The namespace and bridge of every network this node needs: the ingress network, with this
     * node's own leg on it, and each network a task here attaches to. Namespaces of networks no
     * task here uses any more are removed.
     */
    private void ensureNetworks(StoreView view) {
        Optional<Node> self = view.node(nodeId);
        Optional<Network> ingress = view.ingressNetwork();
        Set<String> wanted = new java.util.HashSet<>();
        for (Task t : view.tasksOnNode(nodeId)) {
            if (!TaskStates.isTerminal(t.getStatus().getState())) {
                t.getNetworksList().forEach(a -> wanted.add(a.getNetworkId()));
            }
        }
        if (self.isPresent() && ingress.isPresent() && !self.get().getIngressAddress().isEmpty()
                && !networksReady.contains(ingress.get().getId())) {
            Ipv4Interface address = Ipv4Interface.parse(self.get().getIngressAddress());
            network.ensureNetwork(ingress.get().getId(), address.address(), address.prefixLength());
            networksReady.add(ingress.get().getId());
            log.info("Ingress network {} ready on this node at {}", ingress.get().getId(), address);
        }
        for (String id : wanted) {
            if (!networksReady.contains(id) && view.network(id).isPresent()) {
                network.ensureNetwork(id, null, 0);
                networksReady.add(id);
                log.info("Network {} ({}) ready on this node", view.network(id).get().getSpec().getName(), id);
            }
        }
        String ingressId = ingress.map(Network::getId).orElse("");
        networksReady.removeIf(id -> {
            if (id.equals(ingressId) || wanted.contains(id)) {
                return false;
            }
            // Its proxy's sockets and loops live in the namespace: closed first.
            vips.remove(id);
            network.removeNetwork(id);
            return true;
        });
    }

    /**
     * Stops every task container and waits for them, flushes the last status reports, then closes
     * the overlay (its TAPs go; the namespaces are the daemon's to remove).
     */
    @Override
    public void close() {
        loop.shutdownNow();
        List<TaskRunner> all = new ArrayList<>(runners.values());
        all.forEach(r -> workers.execute(() -> r.shutdown(false)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TaskRunner.STOP_GRACE.getSeconds() + 5);
        workers.shutdown();
        try {
            workers.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reporter.close();
        discovery.close();
        vips.close();
        try {
            overlay.close();
        } catch (RuntimeException e) {
            log.warn("Overlay did not close cleanly: {}", e.getMessage());
        }
    }
}
