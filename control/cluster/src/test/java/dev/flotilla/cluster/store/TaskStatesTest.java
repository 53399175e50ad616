package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
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

    @Test
    void onlyARunningTaskMeantToRunServesTraffic() {
        assertThat(TaskStates.servesTraffic(task(TaskState.RUNNING, TaskState.RUNNING))).isTrue();
        assertThat(TaskStates.servesTraffic(task(TaskState.RUNNING, TaskState.STARTING))).as("not started yet").isFalse();
        assertThat(TaskStates.servesTraffic(task(TaskState.SHUTDOWN, TaskState.RUNNING))).as("being stopped").isFalse();
        assertThat(TaskStates.servesTraffic(task(TaskState.RUNNING, TaskState.FAILED))).as("ended").isFalse();
        assertThat(TaskStates.servesTraffic(task(TaskState.READY, TaskState.READY))).as("held ready").isFalse();
    }

    private static Task task(TaskState desired, TaskState actual) {
        return Task.newBuilder().setDesiredState(desired).setStatus(TaskStatus.newBuilder().setState(actual)).build();
    }
}
