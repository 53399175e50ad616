package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.TaskState;
import org.junit.jupiter.api.Test;

class HumanTest {

    @Test
    void taskStatesInDockersWords() {
        assertThat(Human.state(TaskState.SHUTDOWN)).isEqualTo("Shutdown");
        assertThat(Human.state(TaskState.RUNNING)).isEqualTo("Running");
    }
}
