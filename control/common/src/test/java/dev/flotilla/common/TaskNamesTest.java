package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskNamesTest {

    @Test
    void aContainerIsNamedAfterItsSlotAndTask() {
        assertThat(TaskNames.slotName("web", 2)).isEqualTo("web.2");
        assertThat(TaskNames.containerName("web", 2, "k3x9q0example0task0id0000")).isEqualTo("web.2.k3x9q0example0task0id0000");
    }
}
