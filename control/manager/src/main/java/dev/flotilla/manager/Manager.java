package dev.flotilla.manager;

import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.manager.allocator.Allocator;
import dev.flotilla.manager.orchestrator.Orchestrator;
import dev.flotilla.manager.orchestrator.Updater;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.manager.raft.RaftNode;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.cluster.store.NoQuorumException;
import dev.flotilla.cluster.store.StoreConflictException;
import dev.flotilla.cluster.store.StoreView;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A manager: the Raft member, the store it replicates, and the reconcile loops (updater,
 * orchestrator, allocator, scheduler) that only the leader runs. Store events only mark the manager dirty;
 * one pass runs per burst of commits.
 */
public final class Manager implements ClusterConnection, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Manager.class);

    /** Commits arriving within this window share one reconcile pass. */
    static final long DEBOUNCE_MS = 20;
    /**
     * How long a write waits for this manager's own store to apply it after the leader did (a
     * follower applies a few milliseconds later); past it, the caller reads the store as it is.
     */
    static final long READ_YOUR_WRITE_MS = 5000;
    /** A pass also runs this often, so time-based decisions (restart delay) are never missed. */
    static final long TICK_MS = 1000;

    private final RaftNode raft;
    private final MemoryStore store;
    private final Clock clock;
    private final Allocator allocator = new Allocator();
    private final Scheduler scheduler = new Scheduler();
    private final Orchestrator orchestrator;
    private final Updater updater = new Updater();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fl-manager");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean dirty = new AtomicBoolean();

    public Manager(RaftNode raft, MemoryStore store, Clock clock, int historyLimit) {
        this.raft = raft;
        this.store = store;
        this.clock = clock;
        this.orchestrator = new Orchestrator(historyLimit);
    }

    public void start() {
        store.addListener(v -> markDirty());
        loop.scheduleWithFixedDelay(this::markDirty, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        markDirty();
    }

    @Override
    public StoreView view() {
        return store.view();
    }

    @Override
    public void addListener(Consumer<StoreView> listener) {
        store.addListener(listener);
    }

    /** This manager's Raft member. */
    public RaftNode raft() {
        return raft;
    }

    public boolean isLeader() {
        return raft.isLeader();
    }

    @Override
    public long now() {
        return clock.millis();
    }

    /**
     * Commits {@code actions} as one transaction; throws {@link StoreConflictException} with the
     * state machine's reason when it refused them, {@link NoQuorumException} without quorum.
     */
    @Override
    public void write(List<StoreAction> actions) {
        StoreResult result = raft.commit(StoreTransaction.newBuilder().addAllActions(actions).build());
        // Read your writes: the answer a caller builds next comes from this manager's own store.
        store.awaitIndex(result.getIndex(), READ_YOUR_WRITE_MS);
        if (!result.getOk()) {
            throw new StoreConflictException(result.getConflict(), result.getError());
        }
    }

    private void markDirty() {
        if (!loop.isShutdown() && dirty.compareAndSet(false, true)) {
            loop.schedule(this::reconcile, DEBOUNCE_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void reconcile() {
        dirty.set(false);
        if (!raft.isLeader()) {
            return;
        }
        try {
            long now = clock.millis();
            // Each stage commits on its own: a conflict in one does not hold back the others,
            // and the commit marks the manager dirty again for the next stage's input.
            for (Stage stage : List.<Stage>of(updater::reconcile, orchestrator::reconcile, allocator::allocate, scheduler::schedule)) {
                List<StoreAction> actions = stage.run(store.view(), now);
                if (!actions.isEmpty()) {
                    try {
                        write(actions);
                    } catch (StoreConflictException e) {
                        log.debug("A reconcile stage lost a race, retrying: {}", e.getMessage());
                        markDirty();
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("Reconcile pass failed", e);
        }
    }

    @FunctionalInterface
    private interface Stage {
        List<StoreAction> run(StoreView view, long nowMs);
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
