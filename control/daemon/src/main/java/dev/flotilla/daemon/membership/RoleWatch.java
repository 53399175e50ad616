package dev.flotilla.daemon.membership;

import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.store.StoreView;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices in the store that this node's role changed (`node promote`, `node demote`) and has it
 * carried out. The decision is made on the store's event thread, without the membership lock;
 * the change itself runs on the {@code fl-role} thread, one at a time: a view seen while one
 * runs starts none, and the next view after it ends is looked at again.
 */
final class RoleWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RoleWatch.class);

    /** What the store asks of this node. */
    enum RoleChange { PROMOTE, DEMOTE }

    private final Supplier<Optional<SwarmState>> state;
    private final Runnable promote;
    private final Runnable demote;
    private final AtomicBoolean changing = new AtomicBoolean();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fl-role");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param state   this node's membership as recorded
     * @param promote carries out a promotion (takes the membership lock)
     * @param demote  carries out a demotion (takes the membership lock)
     */
    RoleWatch(Supplier<Optional<SwarmState>> state, Runnable promote, Runnable demote) {
        this.state = state;
        this.promote = promote;
        this.demote = demote;
    }

    /** Called with every view the agent sees. */
    void seen(StoreView view) {
        SwarmState s = state.get().orElse(null);
        if (s == null || changing.get()) {
            return;
        }
        Optional<RoleChange> change = changeFor(s, view.node(s.nodeId()));
        if (change.isPresent() && changing.compareAndSet(false, true)) {
            thread.execute(() -> {
                try {
                    if (change.get() == RoleChange.PROMOTE) {
                        promote.run();
                    } else {
                        demote.run();
                    }
                } catch (RuntimeException e) {
                    log.error("Changing this node's role failed: {}", e.getMessage());
                } finally {
                    changing.set(false);
                }
            });
        }
    }

    /** The change that makes this node what the store says it is, if it is not already. */
    static Optional<RoleChange> changeFor(SwarmState s, Optional<Node> self) {
        if (self.isEmpty()) {
            return Optional.empty();
        }
        boolean wantManager = self.get().getRole() == NodeRole.MANAGER;
        if (wantManager != s.isWorker()) {
            return Optional.empty();
        }
        return Optional.of(wantManager ? RoleChange.PROMOTE : RoleChange.DEMOTE);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
