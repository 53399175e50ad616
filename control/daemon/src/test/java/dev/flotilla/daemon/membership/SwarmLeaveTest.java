package dev.flotilla.daemon.membership;

import static dev.flotilla.daemon.membership.Statuses.assertRefused;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.Reachability;
import dev.flotilla.manager.ManagerStatuses;
import io.grpc.Status;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** A manager leaves only with --force, and not even then when the managers left would lose their quorum. */
class SwarmLeaveTest {

    /** Leave never needs the members' status without --force, nor for the last manager. */
    private static final Supplier<Map<String, ManagerStatus>> NOT_ASKED = () -> {
        throw new AssertionError("the members' status was asked for");
    };

    private static Supplier<Map<String, ManagerStatus>> members(Object... idAndReachable) {
        Map<String, ManagerStatus> out = new HashMap<>();
        for (int i = 0; i < idAndReachable.length; i += 2) {
            String id = (String) idAndReachable[i];
            boolean up = (Boolean) idAndReachable[i + 1];
            out.put(id, ManagerStatus.newBuilder().setNodeId(id).setReachability(up
                    ? Reachability.REACHABILITY_REACHABLE : Reachability.REACHABILITY_UNREACHABLE).build());
        }
        return () -> out;
    }

    @Test
    void theLastManagerIsToldItErasesTheSwarm() {
        assertRefused(() -> SwarmLeave.refuseUnsafe("a", false, 1, NOT_ASKED), Status.Code.FAILED_PRECONDITION,
                "You are attempting to leave the swarm on a node that is participating as a manager. Removing the "
                        + "last manager erases all current state of the swarm. Use `--force` to ignore this message.");
    }

    @Test
    void oneOfSeveralManagersIsToldHowManyWouldBeLeft() {
        assertRefused(() -> SwarmLeave.refuseUnsafe("a", false, 3, NOT_ASKED), Status.Code.FAILED_PRECONDITION,
                "You are attempting to leave the swarm on a node that is participating as a manager. Removing this "
                        + "node leaves 2 managers out of 3. Without a Raft quorum your swarm will be inaccessible. "
                        + "Use `--force` to suppress this message.");
    }

    @Test
    void theLastManagerMayForceItsWayOut() {
        assertThatCode(() -> SwarmLeave.refuseUnsafe("a", true, 1, NOT_ASKED)).doesNotThrowAnyException();
    }

    @Test
    void aForcedLeaveThatKeepsAReachableMajorityGoesAhead() {
        assertThatCode(() -> SwarmLeave.refuseUnsafe("a", true, 3, members("a", true, "b", true, "c", true)))
                .doesNotThrowAnyException();
    }

    @Test
    void aForcedLeaveThatWouldLoseTheQuorumIsRefused() {
        assertRefused(() -> SwarmLeave.refuseUnsafe("a", true, 3, members("a", true, "b", true, "c", false)),
                Status.Code.FAILED_PRECONDITION, ManagerStatuses.QUORUM_LOSS);
    }
}
