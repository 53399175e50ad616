package dev.flotilla.cluster.store;

import dev.flotilla.api.raft.v1.StoreAction;
import java.util.List;
import java.util.function.Consumer;

/**
 * What an agent needs of the swarm: the objects that concern its node, news when they change,
 * and a way to report task status. On a manager it is the local store; a worker gets the same
 * through its session with a manager.
 */
public interface ClusterConnection {

    StoreView view();

    /** Called after every change, on a thread of the connection's; must not block. */
    void addListener(Consumer<StoreView> listener);

    /** Commits task status reports (batched by the caller). */
    void write(List<StoreAction> actions);

    /** The swarm's clock, for restart delays. */
    long now();
}
