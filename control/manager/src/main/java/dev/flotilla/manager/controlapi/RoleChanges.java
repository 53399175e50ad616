package dev.flotilla.manager.controlapi;

import dev.flotilla.cluster.rpc.Errors;

import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.Reachability;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.manager.Manager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A role change is reported done when it is. `node promote` is done when the node votes: its
 * Raft member is in the group's configuration and the leader hears it; if that does not happen
 * in time the node is made a worker again (nothing half-promoted stays) and the caller is told
 * why. `node demote` is done when the node's member has left the group.
 */
final class RoleChanges {

    private static final Logger log = LoggerFactory.getLogger(RoleChanges.class);

    /**
     * How long a promotion may take: the node renews its certificate, starts a Raft member and
     * catches up with the log (about a second here); under the CLI's 30 s deadline.
     */
    static final long PROMOTE_WAIT_MS = 20_000;
    /** Between looks at the members; on a follower each look asks the leader over mutual TLS. */
    static final long POLL_MS = 100;

    private final Supplier<Map<String, ManagerStatus>> statuses;

    RoleChanges(Supplier<Map<String, ManagerStatus>> statuses) {
        this.statuses = statuses;
    }

    /** Waits until {@code nodeId} is a reachable Raft member, or undoes its promotion and fails. */
    void awaitPromotion(Manager m, String nodeId) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROMOTE_WAIT_MS);
        while (System.nanoTime() - deadline < 0) {
            ManagerStatus s = statuses.get().get(nodeId);
            if (s != null && s.getReachability() == Reachability.REACHABILITY_REACHABLE) {
                return;
            }
            if (m.view().node(nodeId).map(n -> n.getRole() != NodeRole.MANAGER).orElse(true)) {
                throw Errors.precondition("node " + nodeId + " was demoted or removed while it was being promoted");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
        }
        log.warn("Node {} did not join the Raft group within {} s: making it a worker again", nodeId, PROMOTE_WAIT_MS / 1000);
        try {
            m.view().node(nodeId).filter(n -> n.getRole() == NodeRole.MANAGER)
                    .ifPresent(n -> m.write(List.of(Actions.update(n.toBuilder().setRole(NodeRole.WORKER).build()))));
        } catch (RuntimeException e) {
            log.warn("Could not make node {} a worker again: {}", nodeId, e.getMessage());
        }
        throw Errors.unavailable("node " + nodeId + " was not promoted: its Raft member did not join the group within "
                + PROMOTE_WAIT_MS / 1000 + " s (see the managers' logs); it stays a worker and the promotion may be retried");
    }

    /** Waits until {@code nodeId} is no longer a Raft member (the leader removes it once it reads the demotion). */
    void awaitDemotion(String nodeId) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROMOTE_WAIT_MS);
        while (statuses.get().containsKey(nodeId)) {
            if (System.nanoTime() - deadline > 0) {
                throw Errors.unavailable("node " + nodeId + " is demoted but its Raft member has not left the group within "
                        + PROMOTE_WAIT_MS / 1000 + " s; the managers keep removing it");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
        }
    }
}
