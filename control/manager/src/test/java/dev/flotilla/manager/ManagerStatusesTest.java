package dev.flotilla.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.Reachability;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** swarmkit's CanRemoveMember: the members left must hold a reachable majority of the new group. */
class ManagerStatusesTest {

    private static Map<String, ManagerStatus> members(Object... idAndReachable) {
        Map<String, ManagerStatus> out = new HashMap<>();
        for (int i = 0; i < idAndReachable.length; i += 2) {
            String id = (String) idAndReachable[i];
            boolean up = (Boolean) idAndReachable[i + 1];
            out.put(id, ManagerStatus.newBuilder().setNodeId(id).setReachability(up
                    ? Reachability.REACHABILITY_REACHABLE : Reachability.REACHABILITY_UNREACHABLE).build());
        }
        return out;
    }

    @Test
    void threeManagersOneDownNoneOfTheLiveOnesMayGo() {
        Map<String, ManagerStatus> m = members("a", true, "b", true, "c", false);
        assertThat(ManagerStatuses.canRemove(m, "b")).isFalse();
        assertThat(ManagerStatuses.canRemove(m, "a")).isFalse();
        assertThat(ManagerStatuses.canRemove(m, "c")).as("the dead one may go: 2 of 2 left").isTrue();
    }

    @Test
    void threeLiveManagersMayLoseOne() {
        assertThat(ManagerStatuses.canRemove(members("a", true, "b", true, "c", true), "c")).isTrue();
    }

    @Test
    void twoManagersOneDownTheLiveOneLeavingWouldLeaveNobody() {
        Map<String, ManagerStatus> m = members("a", true, "b", false);
        assertThat(ManagerStatuses.canRemove(m, "a")).isFalse();
        assertThat(ManagerStatuses.canRemove(m, "b")).isTrue();
    }

    @Test
    void theLastManagerAndNonMembersMayAlwaysGo() {
        assertThat(ManagerStatuses.canRemove(members("a", true), "a")).isTrue();
        assertThat(ManagerStatuses.canRemove(members("a", true, "b", false), "worker")).isTrue();
    }

    @Test
    void unknownReachabilityDoesNotCountAsReachable() {
        Map<String, ManagerStatus> m = members("a", true, "b", true, "c", true);
        m.put("c", m.get("c").toBuilder().setReachability(Reachability.REACHABILITY_UNKNOWN).build());
        assertThat(ManagerStatuses.canRemove(m, "b")).isFalse();
    }
}
