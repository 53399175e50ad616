package dev.flotilla.cluster.store;

import dev.flotilla.api.raft.v1.StoreAction;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The agent's one connection to the swarm for as long as the node is a member, whatever its
 * role: a promotion swaps the worker session for the node's own replicated store, a demotion the
 * other way, and the agent (with the tasks it runs) never notices beyond a new view.
 */
public final class SwitchableConnection implements ClusterConnection {

    private final List<Consumer<StoreView>> listeners = new CopyOnWriteArrayList<>();
    private volatile ClusterConnection delegate;

    public SwitchableConnection(ClusterConnection first) {
        switchTo(first);
    }

    /** From now on views, writes and events come from {@code next}; listeners hear of it at once. */
    public void switchTo(ClusterConnection next) {
        delegate = next;
        next.addListener(v -> {
            if (delegate == next) {
                listeners.forEach(l -> l.accept(v));
            }
        });
        StoreView now = next.view();
        listeners.forEach(l -> l.accept(now));
    }

    public ClusterConnection current() {
        return delegate;
    }

    @Override
    public StoreView view() {
        return delegate.view();
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
