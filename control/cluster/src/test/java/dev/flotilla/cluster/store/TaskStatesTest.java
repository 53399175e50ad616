package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.TaskState;
import org.junit.jupiter.api.Test;

class TaskStatesTest {

    @Test
    void statesOnlyMoveForward() {
        assertThat(TaskStates.canMove(TaskState.ASSIGNED, TaskState.RUNNING)).isTrue();
        assertThat(TaskStates.canMove(TaskState.RUNNING, TaskState.FAILED)).isTrue();
        assertThat(TaskStates.canMove(TaskState.RUNNING, TaskState.PREPARING)).isFalse();
        assertThat(TaskStates.canMove(TaskState.FAILED, TaskState.RUNNING)).isFalse();
        assertThat(TaskStates.canMove(TaskState.RUNNING, TaskState.RUNNING)).isFalse();
    }

    @Test
    void everyPairRespectsTheDeclaredOrder() {
        for (TaskState a : TaskState.values()) {
            for (TaskState b : TaskState.values()) {
                if (a == TaskState.UNRECOGNIZED || b == TaskState.UNRECOGNIZED) {
                    continue;
                }
                assertThat(TaskStates.canMove(a, b)).as("%s -> %s", a, b).isEqualTo(b.ordinal() > a.ordinal());
            }
        }
    }

    @Test
    void terminalStatesStartAtComplete() {
        assertThat(TaskStates.isTerminal(TaskState.RUNNING)).isFalse();
        assertThat(TaskStates.isTerminal(TaskState.COMPLETE)).isTrue();
        assertThat(TaskStates.isTerminal(TaskState.REJECTED)).isTrue();
    }
}
