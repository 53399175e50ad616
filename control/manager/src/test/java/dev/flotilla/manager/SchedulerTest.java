package dev.flotilla.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    private final StoreFixtures store = new StoreFixtures();

    private static Node node(String id, NodeState state, NodeAvailability availability) {
        return Node.newBuilder().setId(id).setState(state).setAvailability(availability).build();
    }

    private static Task pending(String id, String service, long slot) {
        return Task.newBuilder().setId(id).setServiceId(service).setSlot(slot).setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.PENDING)).build();
    }

    @Test
    void spreadsTasksOfAServiceOverReadyActiveNodes() {
        store.commit(List.of(Actions.create(node("a", NodeState.NODE_READY, NodeAvailability.ACTIVE)),
                Actions.create(node("b", NodeState.NODE_READY, NodeAvailability.ACTIVE)),
                Actions.create(node("c", NodeState.NODE_DOWN, NodeAvailability.ACTIVE)),
                Actions.create(node("d", NodeState.NODE_READY, NodeAvailability.DRAIN))));
        store.commit(List.of(Actions.create(pending("t1", "s", 1)), Actions.create(pending("t2", "s", 2)),
                Actions.create(pending("t3", "s", 3)), Actions.create(pending("t4", "s", 4))));
        store.commit(new Scheduler().schedule(store.view(), 1000));
        Map<String, Long> perNode = store.view().tasks().values().stream()
                .peek(t -> assertThat(t.getStatus().getState()).isEqualTo(TaskState.ASSIGNED))
                .collect(Collectors.groupingBy(Task::getNodeId, Collectors.counting()));
        assertThat(perNode).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2L, "b", 2L));
    }

    @Test
    void withoutASuitableNodeTheTaskStaysPendingAndSaysWhy() {
        store.commit(List.of(Actions.create(node("a", NodeState.NODE_DOWN, NodeAvailability.ACTIVE))));
        store.commit(List.of(Actions.create(pending("t1", "s", 1))));
        store.commit(new Scheduler().schedule(store.view(), 1000));
        Task t = store.view().task("t1").orElseThrow();
        assertThat(t.getStatus().getState()).isEqualTo(TaskState.PENDING);
        assertThat(t.getStatus().getErr()).isEqualTo("no suitable node (node is not ready)");
    }
}
