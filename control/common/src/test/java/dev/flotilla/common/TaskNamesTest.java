package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskNamesTest {

    @Test
    void aContainerIsNamedAfterItsSlotAndTask() {
        assertThat(TaskNames.slotName("web", 2, "n0de")).isEqualTo("web.2");
        assertThat(TaskNames.containerName("web", 2, "n0de", "k3x9q0example0task0id0000")).isEqualTo("web.2.k3x9q0example0task0id0000");
        // A global task (slot 0) is named after its node, as Docker names it.
        assertThat(TaskNames.slotName("agent", 0, "n0de1d")).isEqualTo("agent.n0de1d");
        assertThat(TaskNames.containerName("agent", 0, "n0de1d", "t4sk")).isEqualTo("agent.n0de1d.t4sk");
    }
}
