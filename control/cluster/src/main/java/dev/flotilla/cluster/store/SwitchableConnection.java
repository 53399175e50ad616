package dev.flotilla.cluster.store;

import dev.flotilla.api.raft.v1.StoreAction;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The agent's one connection to the swarm for as long as the node is a member, whatever its
 * role: a promotion swaps the worker session for the node's own replicated store, a demotion the
 * other way, and the agent (with the tasks it runs) never notices beyond a new view.
 *
 * <p>The view never goes back in time across a switch: both sides number their views by the same
 * Raft index, and until the new side has caught up with the last view the old side gave (a new
 * manager still replaying the log, say) the agent keeps seeing that last view. A partial view
 * would lack tasks that run here, and the agent stops the tasks it no longer sees.
 */
public final class SwitchableConnection implements ClusterConnection {

    private final List<Consumer<StoreView>> listeners = new CopyOnWriteArrayList<>();
    // Both written together under this object's lock by switchTo; read without it.
    private volatile ClusterConnection delegate;
    private volatile StoreView before = StoreView.EMPTY;

    public SwitchableConnection(ClusterConnection first) {
        switchTo(first);
    }

    /**
     * From now on writes go to {@code next}, and views and events come from it once it has caught
     * up with the last view seen here; listeners hear of it at once.
     */
    public synchronized void switchTo(ClusterConnection next) {
        ClusterConnection previous = delegate;
        if (previous != null) {
            StoreView last = previous.view();
            before = last.index() >= before.index() ? last : before;
        }
        delegate = next;
        next.addListener(v -> {
            if (delegate == next && v.index() >= before.index()) {
                listeners.forEach(l -> l.accept(v));
            }
        });
        StoreView now = view();
        listeners.forEach(l -> l.accept(now));
    }

    public ClusterConnection current() {
        return delegate;
    }

    @Override
    public StoreView view() {
        StoreView v = delegate.view();
        StoreView floor = before;
        return v.index() >= floor.index() ? v : floor;
    }

    @Override
    public void addListener(Consumer<StoreView> listener) {
        listeners.add(listener);
    }

    @Override
    public void write(List<StoreAction> actions) {
        delegate.write(actions);
    }

    @Override
    public long now() {
        return delegate.now();
    }
}
