package dev.flotilla.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.PlacementPreference;
import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
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
        assertThat(t.getStatus().getErr()).isEqualTo("no suitable node (1 node not available for new tasks)");
    }

    private void labeledNodes(String... idAndZone) {
        for (int i = 0; i < idAndZone.length; i += 2) {
            Node.Builder n = node(idAndZone[i], NodeState.NODE_READY, NodeAvailability.ACTIVE).toBuilder();
            if (!idAndZone[i + 1].isEmpty()) {
                n.putLabels("zone", idAndZone[i + 1]);
            }
            store.commit(List.of(Actions.create(n.build())));
        }
    }

    private void service(Placement placement) {
        store.commit(List.of(Actions.create(Service.newBuilder().setId("s")
                .setSpec(ServiceSpec.newBuilder().setName("web").setReplicas(1).setPlacement(placement)).build())));
    }

    private Map<String, Long> perNode() {
        return store.view().tasks().values().stream().filter(t -> !t.getNodeId().isEmpty())
                .collect(Collectors.groupingBy(Task::getNodeId, Collectors.counting()));
    }

    @Test
    void tasksGoOnlyToNodesThatMeetTheConstraints() {
        labeledNodes("a", "east", "b", "west", "c", "east");
        service(Placement.newBuilder().addConstraints("node.labels.zone==east").build());
        for (int i = 1; i <= 4; i++) {
            store.commit(List.of(Actions.create(pending("t" + i, "s", i))));
        }
        store.commit(new Scheduler().schedule(store.view(), 1000));
        assertThat(perNode()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2L, "c", 2L));
    }

    @Test
    void aTaskThatFitsNowhereSaysWhyForEachNodeMostCommonReasonFirst() {
        labeledNodes("a", "west", "b", "west");
        store.commit(List.of(Actions.create(node("c", NodeState.NODE_DOWN, NodeAvailability.ACTIVE))));
        service(Placement.newBuilder().addConstraints("node.labels.zone==east").build());
        store.commit(List.of(Actions.create(pending("t1", "s", 1))));

        store.commit(new Scheduler().schedule(store.view(), 1000));

        Task t = store.view().task("t1").orElseThrow();
        assertThat(t.getStatus().getState()).isEqualTo(TaskState.PENDING);
        assertThat(t.getStatus().getErr()).isEqualTo(
                "no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks)");
    }

    @Test
    void maxReplicasPerNodeLeavesTheRestPending() {
        labeledNodes("a", "", "b", "");
        service(Placement.newBuilder().setMaxReplicas(1).build());
        for (int i = 1; i <= 3; i++) {
            store.commit(List.of(Actions.create(pending("t" + i, "s", i))));
        }
        store.commit(new Scheduler().schedule(store.view(), 1000));
        assertThat(perNode()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 1L, "b", 1L));
        assertThat(store.view().task("t3").orElseThrow().getStatus().getErr())
                .isEqualTo("no suitable node (max replicas per node limit exceed)");
    }

    @Test
    void aSpreadPreferenceBalancesGroupsOfNodesNotNodes() {
        // Two nodes in east, one in west, one without the label (a group of its own): six tasks
        // go two per group, so east's two nodes share two.
        labeledNodes("e1", "east", "e2", "east", "w1", "west", "x1", "");
        service(Placement.newBuilder().addPreferences(PlacementPreference.newBuilder().setSpread("node.labels.zone")).build());
        for (int i = 1; i <= 6; i++) {
            store.commit(List.of(Actions.create(pending("t" + i, "s", i))));
        }
        store.commit(new Scheduler().schedule(store.view(), 1000));
        assertThat(perNode()).containsExactlyInAnyOrderEntriesOf(Map.of("e1", 1L, "e2", 1L, "w1", 2L, "x1", 2L));
    }

    private static final long GIB = 1L << 30;

    private void sizedNode(String id, long cpus, long memoryGib) {
        store.commit(List.of(Actions.create(node(id, NodeState.NODE_READY, NodeAvailability.ACTIVE).toBuilder()
                .setResources(Resources.newBuilder().setNanoCpus(cpus * 1_000_000_000L).setMemoryBytes(memoryGib * GIB))
                .build())));
    }

    private static Task reserving(String id, long slot, long nanoCpus, long memoryBytes) {
        Task t = pending(id, "s", slot);
        return t.toBuilder().setSpec(ContainerSpec.newBuilder().setResources(ResourceRequirements.newBuilder()
                .setReservations(Resources.newBuilder().setNanoCpus(nanoCpus).setMemoryBytes(memoryBytes)))).build();
    }

    @Test
    void reservationsFillANodeAndTheRestWaitsForResources() {
        sizedNode("a", 2, 8);
        sizedNode("b", 2, 4);
        // 3 GiB each: a holds two, b one; the fourth fits nowhere.
        for (int i = 1; i <= 4; i++) {
            store.commit(List.of(Actions.create(reserving("t" + i, i, 0, 3 * GIB))));
        }
        store.commit(new Scheduler().schedule(store.view(), 1000));
        assertThat(perNode()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2L, "b", 1L));
        assertThat(store.view().task("t4").orElseThrow().getStatus().getErr())
                .isEqualTo("no suitable node (insufficient resources on 2 nodes)");
    }

    @Test
    void reservationsOfFinishedTasksAreFreeAgain() {
        sizedNode("a", 2, 8);
        Task done = reserving("old", 1, 1_500_000_000L, 0).toBuilder().setNodeId("a")
                .setDesiredState(TaskState.SHUTDOWN)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.SHUTDOWN)).build();
        Task running = reserving("run", 2, 1_000_000_000L, 0).toBuilder().setNodeId("a")
                .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING)).build();
        store.commit(List.of(Actions.create(done), Actions.create(running),
                Actions.create(reserving("new", 3, 1_000_000_000L, 0)),
                Actions.create(reserving("more", 4, 500_000_000L, 0))));
        store.commit(new Scheduler().schedule(store.view(), 1000));
        assertThat(store.view().task("new").orElseThrow().getNodeId()).isEqualTo("a");
        Task more = store.view().task("more").orElseThrow();
        assertThat(more.getStatus().getState()).isEqualTo(TaskState.PENDING);
        assertThat(more.getStatus().getErr()).isEqualTo("no suitable node (insufficient resources on 1 node)");
    }

    private static final ContainerSpec BIND_SPEC = ContainerSpec.newBuilder().setImage("nginx")
            .addMounts(dev.flotilla.api.v1.Mount.newBuilder().setType(dev.flotilla.api.v1.Mount.Type.BIND)
                    .setSource("/srv/www").setTarget("/usr/share/nginx/html")).build();

    private static Task rejectedForBindSource(String id, String node, ContainerSpec spec) {
        return Task.newBuilder().setId(id).setServiceId("s").setSlot(1).setNodeId(node).setSpec(spec)
                .setDesiredState(TaskState.SHUTDOWN).setStatus(TaskStatus.newBuilder().setState(TaskState.REJECTED)
                        .setErr("invalid mount config for type \"bind\": bind source path does not exist: /srv/www")
                        .setMissingBindSource("/srv/www")).build();
    }

    @Test
    void aNodeThatLacksABindSourceGetsNoMoreTasksOfThatSpec() {
        labeledNodes("a", "", "b", "");
        store.commit(List.of(Actions.create(rejectedForBindSource("t0", "a", BIND_SPEC)),
                Actions.create(pending("t1", "s", 1).toBuilder().setSpec(BIND_SPEC).build())));

        store.commit(new Scheduler().schedule(store.view(), 1000));

        assertThat(store.view().task("t1").orElseThrow().getNodeId()).isEqualTo("b");
    }

    @Test
    void whenEveryNodeLacksTheBindSourceThePendingTaskSaysSo() {
        labeledNodes("a", "", "b", "");
        store.commit(List.of(Actions.create(rejectedForBindSource("t0", "a", BIND_SPEC)),
                Actions.create(rejectedForBindSource("t9", "b", BIND_SPEC)),
                Actions.create(pending("t1", "s", 1).toBuilder().setSpec(BIND_SPEC).build())));

        store.commit(new Scheduler().schedule(store.view(), 1000));

        Task t = store.view().task("t1").orElseThrow();
        assertThat(t.getStatus().getState()).isEqualTo(TaskState.PENDING);
        assertThat(t.getStatus().getErr()).isEqualTo("no suitable node (bind source path does not exist on 2 nodes)");
    }

    @Test
    void aChangedSpecTriesTheNodeAgain() {
        labeledNodes("a", "", "b", "");
        ContainerSpec forced = BIND_SPEC.toBuilder().setForceUpdate(1).build();
        store.commit(List.of(Actions.create(rejectedForBindSource("t0", "a", BIND_SPEC)),
                Actions.create(rejectedForBindSource("t9", "b", BIND_SPEC)),
                Actions.create(pending("t1", "s", 1).toBuilder().setSpec(forced).build())));

        store.commit(new Scheduler().schedule(store.view(), 1000));

        assertThat(store.view().task("t1").orElseThrow().getStatus().getState()).isEqualTo(TaskState.ASSIGNED);
    }
}
