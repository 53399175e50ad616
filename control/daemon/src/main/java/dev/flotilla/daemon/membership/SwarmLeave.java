package dev.flotilla.daemon.membership;

import dev.flotilla.agent.WorkerSession;
import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.manager.ManagerStatuses;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code swarm leave}: a worker says goodbye to its manager; a manager needs {@code --force},
 * and even then may not leave when the managers left could not reach a quorum. Either way its
 * tasks stop and everything it recorded is erased. Runs inside {@link Membership#change}.
 */
final class SwarmLeave {

    private static final Logger log = LoggerFactory.getLogger(SwarmLeave.class);

    private final Membership membership;
    private final Teardown teardown;

    SwarmLeave(Membership membership, Teardown teardown) {
        this.membership = membership;
        this.teardown = teardown;
    }

    void run(boolean force) {
        SwarmState s = membership.requireMember();
        if (s.isWorker()) {
            // Tasks stop first, so their last status still reaches the manager.
            teardown.run(() -> membership.worker().ifPresent(WorkerSession::leave));
            log.info("Node {} left the swarm", s.nodeId());
            membership.forget();
            return;
        }
        int members = membership.manager().map(m -> m.raft().members().size()).orElse(1);
        refuseUnsafe(s.nodeId(), force, members,
                () -> membership.manager().map(ManagerStack::statuses).orElse(Map.of()));
        teardown.run(() -> {
            if (members > 1) {
                membership.manager().ifPresent(m -> m.leaveRaft(s.nodeId()));
            }
        });
        log.info("Node {} left the swarm; its swarm state is erased", s.nodeId());
        membership.forget();
    }

    /**
     * Refuses a manager's leave Docker refuses: any without {@code --force}, and a forced one that
     * would leave the other managers without a reachable majority.
     *
     * @param members  the Raft group's size, this node included
     * @param statuses the members' live status, asked only when the answer depends on it
     */
    static void refuseUnsafe(String nodeId, boolean force, int members, Supplier<Map<String, ManagerStatus>> statuses) {
        if (!force) {
            if (members <= 1) {
                throw Errors.precondition("You are attempting to leave the swarm on a node that is participating "
                        + "as a manager. Removing the last manager erases all current state of the swarm. "
                        + "Use `--force` to ignore this message.");
            }
            throw Errors.precondition("You are attempting to leave the swarm on a node that is participating as a "
                    + "manager. Removing this node leaves " + (members - 1) + " managers out of " + members
                    + ". Without a Raft quorum your swarm will be inaccessible. Use `--force` to suppress this message.");
        }
        if (members > 1 && !ManagerStatuses.canRemove(statuses.get(), nodeId)) {
            throw Errors.precondition(ManagerStatuses.QUORUM_LOSS);
        }
    }
}
