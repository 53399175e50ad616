package dev.flotilla.manager.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrchestratorTest {

    private final StoreFixtures store = new StoreFixtures();
    private final Orchestrator orchestrator = new Orchestrator(5);

    private Service service(long replicas) {
        return Service.newBuilder().setId("svc").setMeta(Meta.getDefaultInstance())
                .setSpec(ServiceSpec.newBuilder().setName("web").setReplicas(replicas)
                        .setContainer(ContainerSpec.newBuilder().setImage("web"))
                        .setRestart(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ANY).setDelayMs(5000)))
                .build();
    }

    private List<Task> liveTasks() {
        return store.view().tasksOfService("svc").stream()
                .filter(t -> t.getDesiredState() == TaskState.RUNNING).toList();
    }

    @Test
    void createsOneTaskPerSlotAndNothingMoreOnTheNextPass() {
        store.commit(List.of(Actions.create(service(3))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        assertThat(liveTasks()).extracting(Task::getSlot).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(orchestrator.reconcile(store.view(), 1000)).isEmpty();
    }

    @Test
    void aFailedTaskIsRetiredAndReplacedInItsSlotAfterTheRestartDelay() {
        store.commit(List.of(Actions.create(service(1))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        Task first = liveTasks().get(0);
        store.commit(List.of(Actions.status(first.getId(), TaskStatus.newBuilder().setState(TaskState.FAILED)
                .setErr("task: non-zero exit (137)").build())));

        store.commit(orchestrator.reconcile(store.view(), 2000));
        Task old = store.view().task(first.getId()).orElseThrow();
        assertThat(old.getDesiredState()).isEqualTo(TaskState.SHUTDOWN);
        Task replacement = liveTasks().get(0);
        assertThat(replacement.getId()).isNotEqualTo(first.getId());
        assertThat(replacement.getSlot()).isEqualTo(1);
        assertThat(replacement.getNotBeforeMs()).isEqualTo(7000);
    }

    @Test
    void scalingDownShutsDownTheHighestSlots() {
        store.commit(List.of(Actions.create(service(3))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        Service s = store.view().service("svc").orElseThrow();
        store.commit(List.of(Actions.update(s.toBuilder().setSpec(s.getSpec().toBuilder().setReplicas(1)).build())));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        assertThat(liveTasks()).extracting(Task::getSlot).containsExactly(1L);
    }

    @Test
    void keepsFiveOldTasksPerSlot() {
        store.commit(List.of(Actions.create(service(1))));
        for (int round = 0; round < 8; round++) {
            store.commit(orchestrator.reconcile(store.view(), 1000 + round));
            Task live = liveTasks().get(0);
            store.commit(List.of(Actions.status(live.getId(), TaskStatus.newBuilder().setState(TaskState.FAILED).build())));
        }
        store.commit(orchestrator.reconcile(store.view(), 5000));
        store.commit(orchestrator.reconcile(store.view(), 5000));
        long old = store.view().tasksOfService("svc").stream()
                .filter(t -> t.getDesiredState() != TaskState.RUNNING).count();
        assertThat(old).isEqualTo(5);
    }

    @Test
    void tasksOfARemovedServiceAreStoppedThenForgotten() {
        store.commit(List.of(Actions.create(service(1))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        store.commit(List.of(Actions.create(Node.newBuilder().setId("n1").setState(NodeState.NODE_READY).build())));
        Task t = liveTasks().get(0);
        store.commit(List.of(Actions.update(t.toBuilder().setNodeId("n1")
                .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING)).build())));
        store.commit(List.of(Actions.remove(store.view().service("svc").orElseThrow())));
        List<StoreAction> actions = orchestrator.reconcile(store.view(), 2000);
        assertThat(actions).singleElement().satisfies(a -> {
            assertThat(a.getKind()).isEqualTo(ActionKind.ACTION_UPDATE);
            assertThat(a.getTask().getDesiredState()).isEqualTo(TaskState.REMOVE);
        });
        store.commit(actions);
        store.commit(List.of(Actions.status(t.getId(), TaskStatus.newBuilder().setState(TaskState.SHUTDOWN).build())));
        store.commit(orchestrator.reconcile(store.view(), 3000));
        assertThat(store.view().tasks()).isEmpty();
    }

    private Service service(long replicas, RestartPolicy restart) {
        Service s = service(replicas);
        return s.toBuilder().setSpec(s.getSpec().toBuilder().setRestart(restart)).build();
    }

    /** The slot's live task ends in {@code state} at {@code nowMs}; one pass at {@code nowMs}. */
    private void end(TaskState state, long nowMs) {
        Task t = liveTasks().get(0);
        store.commit(List.of(Actions.status(t.getId(), TaskStatus.newBuilder().setState(state).setTimestampMs(nowMs).build())));
        store.commit(orchestrator.reconcile(store.view(), nowMs));
    }

    private long tasksInSlot() {
        return store.view().tasksOfService("svc").size();
    }

    @Test
    void restartConditionNoneLeavesTheSlotEmptyOnEveryLaterPass() {
        store.commit(List.of(Actions.create(service(1, RestartPolicy.newBuilder()
                .setCondition(RestartPolicy.Condition.NONE).setDelayMs(5000).build()))));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        end(TaskState.FAILED, 2000);
        store.commit(orchestrator.reconcile(store.view(), 3000));
        store.commit(orchestrator.reconcile(store.view(), 60_000));

        assertThat(liveTasks()).isEmpty();
        assertThat(tasksInSlot()).isEqualTo(1);
    }

    @Test
    void onFailureDoesNotRestartATaskThatCompleted() {
        store.commit(List.of(Actions.create(service(1, RestartPolicy.newBuilder()
                .setCondition(RestartPolicy.Condition.ON_FAILURE).setDelayMs(5000).build()))));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        end(TaskState.COMPLETE, 2000);
        store.commit(orchestrator.reconcile(store.view(), 60_000));

        assertThat(liveTasks()).isEmpty();
    }

    @Test
    void maxAttemptsCountsRestartsOfTheSlotAndGivesUp() {
        store.commit(List.of(Actions.create(service(1, RestartPolicy.newBuilder()
                .setMaxAttempts(2).setDelayMs(1000).build()))));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        end(TaskState.FAILED, 2000);
        end(TaskState.FAILED, 4000);
        assertThat(liveTasks()).as("two restarts").hasSize(1);
        end(TaskState.FAILED, 6000);
        store.commit(orchestrator.reconcile(store.view(), 60_000));

        assertThat(liveTasks()).as("no third restart").isEmpty();
        assertThat(tasksInSlot()).isEqualTo(3);
    }

    @Test
    void restartsOutsideTheWindowDoNotCount() {
        store.commit(List.of(Actions.create(service(1, RestartPolicy.newBuilder()
                .setMaxAttempts(1).setWindowMs(10_000).setDelayMs(1000).build()))));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        end(TaskState.FAILED, 2000);
        end(TaskState.FAILED, 30_000);

        assertThat(liveTasks()).as("the first restart was 28 s ago, outside the 10 s window").hasSize(1);
        end(TaskState.FAILED, 31_000);
        assertThat(liveTasks()).as("one restart in the last 10 s").isEmpty();
    }

    @Test
    void theDelayDoublesAfterEachConsecutiveFailureUpToTheMaxDelay() {
        store.commit(List.of(Actions.create(service(1, RestartPolicy.newBuilder()
                .setDelayMs(1000).setMaxDelayMs(5000).build()))));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        List<Long> delays = new java.util.ArrayList<>();
        long now = 2000;
        for (int i = 0; i < 5; i++) {
            end(TaskState.FAILED, now);
            delays.add(liveTasks().get(0).getNotBeforeMs() - now);
            now += 10_000;
        }

        assertThat(delays).containsExactly(1000L, 2000L, 4000L, 5000L, 5000L);
    }

    @Test
    void withoutAMaxDelayTheDelayStaysDockersFixedOne() {
        store.commit(List.of(Actions.create(service(1, RestartPolicy.newBuilder().setDelayMs(1000).build()))));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        end(TaskState.FAILED, 2000);
        end(TaskState.FAILED, 3000);

        assertThat(liveTasks().get(0).getNotBeforeMs()).isEqualTo(4000);
    }

    private void node(String id, NodeState state, dev.flotilla.api.v1.NodeAvailability availability) {
        Node n = Node.newBuilder().setId(id).setState(state).setAvailability(availability).build();
        if (store.view().node(id).isPresent()) {
            Node old = store.view().node(id).orElseThrow();
            store.commit(List.of(Actions.update(n.toBuilder().setMeta(old.getMeta()).build())));
        } else {
            store.commit(List.of(Actions.create(n)));
        }
    }

    private List<String> liveNodes() {
        return liveTasks().stream().map(Task::getNodeId).sorted().toList();
    }

    @Test
    void aGlobalServiceRunsOneTaskOnEveryReadyActiveNodeAndFollowsThem() {
        node("n1", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        node("n2", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        node("n3", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.DRAIN);
        Service s = service(0);
        store.commit(List.of(Actions.create(s.toBuilder().setSpec(s.getSpec().toBuilder().setMode(ServiceSpec.Mode.GLOBAL)).build())));

        store.commit(orchestrator.reconcile(store.view(), 1000));
        assertThat(liveNodes()).containsExactly("n1", "n2");
        assertThat(liveTasks()).allSatisfy(t -> assertThat(t.getSlot()).isZero());
        assertThat(orchestrator.reconcile(store.view(), 1000)).as("nothing more to do").isEmpty();

        node("n4", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        node("n3", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        store.commit(orchestrator.reconcile(store.view(), 2000));
        assertThat(liveNodes()).as("a joined node and an undrained one").containsExactly("n1", "n2", "n3", "n4");

        node("n2", NodeState.NODE_DOWN, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        node("n4", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.DRAIN);
        store.commit(orchestrator.reconcile(store.view(), 3000));
        assertThat(liveNodes()).as("a Down node and a drained one").containsExactly("n1", "n3");

        node("n2", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        store.commit(orchestrator.reconcile(store.view(), 4000));
        assertThat(liveNodes()).as("back").containsExactly("n1", "n2", "n3");
    }

    @Test
    void aGlobalTaskThatFailsIsRestartedOnItsNodeAfterTheDelay() {
        node("n1", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        Service s = service(0);
        store.commit(List.of(Actions.create(s.toBuilder().setSpec(s.getSpec().toBuilder().setMode(ServiceSpec.Mode.GLOBAL)).build())));
        store.commit(orchestrator.reconcile(store.view(), 1000));

        end(TaskState.FAILED, 2000);

        assertThat(liveTasks()).singleElement().satisfies(t -> {
            assertThat(t.getNodeId()).isEqualTo("n1");
            assertThat(t.getNotBeforeMs()).isEqualTo(7000);
        });
    }

    private Service job(ServiceSpec.Mode mode, long completions, long concurrent) {
        Service s = service(completions);
        return s.toBuilder().setJobStatus(dev.flotilla.api.v1.JobStatus.getDefaultInstance())
                .setSpec(s.getSpec().toBuilder().setMode(mode).setMaxConcurrent(concurrent)).build();
    }

    /** The job's tasks that run or will (desired COMPLETE, not there yet). */
    private List<Task> activeJobTasks() {
        return store.view().tasksOfService("svc").stream()
                .filter(t -> t.getDesiredState() == TaskState.COMPLETE && t.getStatus().getState() != TaskState.COMPLETE)
                .toList();
    }

    private void endJobTask(Task t, TaskState state, long nowMs) {
        store.commit(List.of(Actions.status(t.getId(), TaskStatus.newBuilder().setState(state).setTimestampMs(nowMs).build())));
    }

    private long completed() {
        return store.view().tasksOfService("svc").stream().filter(t -> t.getStatus().getState() == TaskState.COMPLETE).count();
    }

    @Test
    void aReplicatedJobRunsItsCompletionsAtMostMaxConcurrentAtATimeAndNeverRestartsACompletedTask() {
        store.commit(List.of(Actions.create(job(ServiceSpec.Mode.REPLICATED_JOB, 5, 2))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        assertThat(activeJobTasks()).extracting(Task::getSlot).containsExactlyInAnyOrder(1L, 2L);
        assertThat(activeJobTasks()).allSatisfy(t -> assertThat(t.getDesiredState()).isEqualTo(TaskState.COMPLETE));
        assertThat(orchestrator.reconcile(store.view(), 1000)).as("two at a time").isEmpty();

        for (long now = 2000; completed() < 5; now += 1000) {
            assertThat(activeJobTasks()).hasSizeLessThanOrEqualTo(2);
            endJobTask(activeJobTasks().get(0), TaskState.COMPLETE, now);
            store.commit(orchestrator.reconcile(store.view(), now));
        }
        assertThat(store.view().tasksOfService("svc")).extracting(Task::getSlot)
                .containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L);
        assertThat(store.view().tasksOfService("svc")).as("completed tasks keep desired COMPLETE")
                .allSatisfy(t -> assertThat(t.getDesiredState()).isEqualTo(TaskState.COMPLETE));
        assertThat(orchestrator.reconcile(store.view(), 60_000)).as("done: restart any never reruns them").isEmpty();
    }

    @Test
    void aFailedJobTaskIsRestartedInItsSlotAndOneTheRestartPolicyGivesUpOnFreesItsPlace() {
        Service j = job(ServiceSpec.Mode.REPLICATED_JOB, 2, 1);
        store.commit(List.of(Actions.create(j.toBuilder().setSpec(j.getSpec().toBuilder().setRestart(RestartPolicy.newBuilder()
                .setCondition(RestartPolicy.Condition.ON_FAILURE).setDelayMs(1000).setMaxAttempts(1))).build())));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        Task first = activeJobTasks().get(0);

        endJobTask(first, TaskState.FAILED, 2000);
        store.commit(orchestrator.reconcile(store.view(), 2000));
        assertThat(activeJobTasks()).singleElement().satisfies(t -> {
            assertThat(t.getSlot()).isEqualTo(first.getSlot());
            assertThat(t.getNotBeforeMs()).isEqualTo(3000);
        });

        endJobTask(activeJobTasks().get(0), TaskState.FAILED, 4000);
        store.commit(orchestrator.reconcile(store.view(), 4000));
        assertThat(activeJobTasks()).as("slot 1 given up on; slot 2 runs").singleElement()
                .satisfies(t -> assertThat(t.getSlot()).isEqualTo(2L));
    }

    @Test
    void aNewIterationStopsTheOldOnesTasksAndRunsEveryCompletionAgain() {
        store.commit(List.of(Actions.create(job(ServiceSpec.Mode.REPLICATED_JOB, 2, 2))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        Task running = activeJobTasks().get(0);
        endJobTask(activeJobTasks().get(1), TaskState.COMPLETE, 1500);
        Service s = store.view().service("svc").orElseThrow();
        store.commit(List.of(Actions.update(s.toBuilder()
                .setJobStatus(dev.flotilla.api.v1.JobStatus.newBuilder().setIteration(1)).build())));

        store.commit(orchestrator.reconcile(store.view(), 2000));
        assertThat(store.view().task(running.getId()).orElseThrow().getDesiredState()).isEqualTo(TaskState.SHUTDOWN);
        assertThat(activeJobTasks()).hasSize(2).allSatisfy(t -> assertThat(t.getJobIteration()).isEqualTo(1));
    }

    @Test
    void aGlobalJobRunsOnceOnEveryEligibleNodeAndOnNodesThatJoinLater() {
        node("n1", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        node("n2", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.DRAIN);
        store.commit(List.of(Actions.create(job(ServiceSpec.Mode.GLOBAL_JOB, 0, 0))));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        assertThat(activeJobTasks()).extracting(Task::getNodeId).containsExactly("n1");

        endJobTask(activeJobTasks().get(0), TaskState.COMPLETE, 2000);
        store.commit(orchestrator.reconcile(store.view(), 2000));
        assertThat(activeJobTasks()).as("n1 done").isEmpty();

        node("n3", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        store.commit(orchestrator.reconcile(store.view(), 3000));
        assertThat(activeJobTasks()).extracting(Task::getNodeId).containsExactly("n3");
        assertThat(completed()).isEqualTo(1);
    }

    private void label(String nodeId, String zone) {
        Node old = store.view().node(nodeId).orElseThrow();
        store.commit(List.of(Actions.update(old.toBuilder().clearLabels().putLabels("zone", zone).build())));
    }

    @Test
    void aTaskWhoseNodeNoLongerMeetsTheConstraintsIsRejectedThereAndReplaced() {
        node("n1", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        label("n1", "east");
        Service s = service(1);
        store.commit(List.of(Actions.create(s.toBuilder().setSpec(s.getSpec().toBuilder()
                .setPlacement(Placement.newBuilder().addConstraints("node.labels.zone==east"))).build())));
        store.commit(orchestrator.reconcile(store.view(), 1000));
        Task first = liveTasks().get(0);
        store.commit(List.of(Actions.update(first.toBuilder().setNodeId("n1")
                .setStatus(Actions.status(TaskState.RUNNING, "started", 1500)).build())));
        assertThat(orchestrator.reconcile(store.view(), 1600)).as("the node still qualifies").isEmpty();

        label("n1", "west");
        store.commit(orchestrator.reconcile(store.view(), 2000));

        Task old = store.view().task(first.getId()).orElseThrow();
        assertThat(old.getDesiredState()).isEqualTo(TaskState.SHUTDOWN);
        assertThat(old.getStatus().getState()).isEqualTo(TaskState.REJECTED);
        assertThat(old.getStatus().getErr()).isEqualTo("assigned node no longer meets constraints");
        assertThat(liveTasks()).singleElement().satisfies(t -> {
            assertThat(t.getId()).isNotEqualTo(first.getId());
            assertThat(t.getSlot()).isEqualTo(first.getSlot());
            assertThat(t.getNotBeforeMs()).as("replaced now, not after the restart delay").isZero();
        });
    }

    @Test
    void aGlobalServiceRunsOnlyOnNodesThatMeetItsConstraints() {
        node("n1", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        node("n2", NodeState.NODE_READY, dev.flotilla.api.v1.NodeAvailability.ACTIVE);
        label("n1", "east");
        label("n2", "west");
        Service s = service(0);
        store.commit(List.of(Actions.create(s.toBuilder().setSpec(s.getSpec().toBuilder().setMode(ServiceSpec.Mode.GLOBAL)
                .setPlacement(Placement.newBuilder().addConstraints("node.labels.zone!=west"))).build())));

        store.commit(orchestrator.reconcile(store.view(), 1000));
        assertThat(liveNodes()).containsExactly("n1");

        label("n1", "west");
        label("n2", "east");
        store.commit(orchestrator.reconcile(store.view(), 2000));
        assertThat(liveNodes()).containsExactly("n2");
    }
}
