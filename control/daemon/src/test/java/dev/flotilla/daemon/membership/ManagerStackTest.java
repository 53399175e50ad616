package dev.flotilla.daemon.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A node changing role asks the other managers, never its own port 2377. */
class ManagerStackTest {

    private static final SwarmState SELF = new SwarmState("n1", null, "10.0.0.1", 2378, SwarmState.WORKER, List.of());

    @Test
    void theOthersAreEveryManagerButThisNodeInTheirOrder() {
        assertThat(ManagerStack.others(List.of("10.0.0.3:2377", "10.0.0.1:2377", "10.0.0.2:2377"), SELF))
                .containsExactly("10.0.0.3:2377", "10.0.0.2:2377");
    }

    @Test
    void thisNodesOtherPortsAreNotItsClusterApi() {
        assertThat(ManagerStack.others(List.of("10.0.0.1:2378", "10.0.0.10:2377"), SELF))
                .containsExactly("10.0.0.1:2378", "10.0.0.10:2377");
        assertThat(ManagerStack.clusterAddr(SELF)).isEqualTo("10.0.0.1:2377");
        assertThat(ManagerStack.raftAddr(SELF)).isEqualTo("10.0.0.1:2378");
    }
}
