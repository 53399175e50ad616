package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.SwitchableConnection;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The agent's view of the cluster while this node is a member: handed over once when the node
 * enters a swarm, then switched between the manager's store and a worker's session as the role
 * changes, so the agent (and its tasks) carry on through a promotion or demotion.
 */
final class AgentLink {

    private final BiConsumer<ClusterConnection, String> onMember;
    private final Consumer<StoreView> roleWatch;
    // Written by membership transitions (one at a time, under the membership lock).
    private volatile SwitchableConnection connection;

    /**
     * @param onMember  starts the agent on the connection it is given, for this node id
     * @param roleWatch sees every view the agent sees, to notice this node's role change
     */
    AgentLink(BiConsumer<ClusterConnection, String> onMember, Consumer<StoreView> roleWatch) {
        this.onMember = onMember;
        this.roleWatch = roleWatch;
    }

    /** Gives the agent its connection the first time, and switches it on a role change. */
    void enter(ClusterConnection c, String nodeId) {
        SwitchableConnection sc = connection;
        if (sc != null) {
            sc.switchTo(c);
            return;
        }
        sc = new SwitchableConnection(c);
        connection = sc;
        sc.addListener(roleWatch);
        onMember.accept(sc, nodeId);
    }

    /** This node left the swarm: the next member gets a new connection. */
    void reset() {
        connection = null;
    }
}
