package dev.flotilla.manager.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import dev.flotilla.cluster.store.TaskStates;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rolling updater with the orchestrator, pass by pass on a store and a clock the test moves:
 * tasks "run" when the test reports them running, as an agent would.
 */
class UpdaterTest {

    private static final UpdateConfig DEFAULTS = UpdateConfig.newBuilder().setParallelism(1).setMonitorMs(5_000)
            .setFailureAction(UpdateConfig.FailureAction.PAUSE).setOrder(UpdateConfig.Order.STOP_FIRST).build();

    private final StoreFixtures store = new StoreFixtures();
    private final Updater updater = new Updater();
    private final Orchestrator orchestrator = new Orchestrator(5);

    private void create(long replicas, UpdateConfig update) {
        store.commit(Actions.create(Service.newBuilder().setId("svc").setMeta(Meta.getDefaultInstance())
                .setSpec(ServiceSpec.newBuilder().setName("web").setReplicas(replicas)
                        .setContainer(ContainerSpec.newBuilder().setImage("web:1"))
                        .setRestart(RestartPolicy.newBuilder().setDelayMs(5_000))
                        .setUpdate(update).setRollback(DEFAULTS))
                .build()));
        pass(0);
        runAll(0);
    }

    /** What ControlService writes for {@code service update --image IMAGE}. */
    private void update(String image, long nowMs) {
        Service s = service();
        store.commit(Actions.update(s.toBuilder().setPreviousSpec(s.getSpec())
                .setSpec(s.getSpec().toBuilder().setContainer(ContainerSpec.newBuilder().setImage(image)))
                .setUpdateStatus(UpdateStatus.newBuilder().setState(UpdateStatus.State.UPDATING)
                        .setMessage("update in progress").setStartedAtMs(nowMs))
                .build()));
    }

    /** One reconcile pass of the leader: the updater, then the orchestrator, each committed. */
    private void pass(long nowMs) {
        store.commit(updater.reconcile(store.view(), nowMs));
        store.commit(orchestrator.reconcile(store.view(), nowMs));
    }

    /** Every task that should run and is not running yet reports RUNNING at {@code nowMs}. */
    private void runAll(long nowMs) {
        for (Task t : live()) {
            if (t.getStatus().getState() != TaskState.RUNNING) {
                report(t, TaskState.RUNNING, nowMs);
            }
        }
    }

    private void report(Task t, TaskState state, long nowMs) {
        store.commit(Actions.status(t.getId(), TaskStatus.newBuilder().setState(state).setTimestampMs(nowMs)
                .setErr(state == TaskState.FAILED ? "task: non-zero exit (1)" : "").build()));
    }

    private Service service() {
        return store.view().service("svc").orElseThrow();
    }

    private List<Task> live() {
        return store.view().tasksOfService("svc").stream()
                .filter(t -> t.getDesiredState() == TaskState.RUNNING && !TaskStates.isTerminal(t.getStatus().getState()))
                .toList();
    }

    private List<String> liveImages() {
        return live().stream().sorted(java.util.Comparator.comparingLong(Task::getSlot))
                .map(t -> t.getSpec().getImage()).toList();
    }

    @Test
    void oneSlotAtATimeThenOneMonitorPeriodThenCompleted() {
        create(3, DEFAULTS);
        update("web:2", 1_000);

        pass(1_000);
        assertThat(liveImages()).containsExactly("web:2", "web:1", "web:1");
        pass(1_100);
        assertThat(liveImages()).as("the next slot waits for the first new task to run").containsExactly("web:2", "web:1", "web:1");

        runAll(2_000);
        pass(2_000);
        assertThat(liveImages()).containsExactly("web:2", "web:2", "web:1");
        runAll(3_000);
        pass(3_000);
        runAll(4_000);
        pass(4_000);
        assertThat(liveImages()).containsExactly("web:2", "web:2", "web:2");
        assertThat(service().getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.UPDATING);

        pass(8_999);
        assertThat(service().getUpdateStatus().getState()).as("monitored until 5 s after the last task ran")
                .isEqualTo(UpdateStatus.State.UPDATING);
        pass(9_000);
        assertThat(service().getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.COMPLETED);
        assertThat(service().getUpdateStatus().getMessage()).isEqualTo("update completed");
        assertThat(service().getUpdateStatus().getCompletedAtMs()).isEqualTo(9_000);
        long history = store.view().tasksOfService("svc").stream()
                .filter(t -> t.getDesiredState() == TaskState.SHUTDOWN && t.getSpec().getImage().equals("web:1")).count();
        assertThat(history).as("the replaced tasks stay as history rows").isEqualTo(3);
    }

    @Test
    void startFirstKeepsTheOldTaskUntilItsReplacementRuns() {
        create(1, DEFAULTS.toBuilder().setOrder(UpdateConfig.Order.START_FIRST).build());
        update("web:2", 1_000);

        pass(1_000);
        assertThat(liveImages()).containsExactlyInAnyOrder("web:1", "web:2");
        pass(1_500);
        assertThat(liveImages()).containsExactlyInAnyOrder("web:1", "web:2");

        runAll(2_000);
        pass(2_000);
        assertThat(liveImages()).containsExactly("web:2");
    }

    @Test
    void parallelismAndDelayPaceTheSlots() {
        create(4, DEFAULTS.toBuilder().setParallelism(2).setDelayMs(10_000).build());
        update("web:2", 1_000);

        pass(1_000);
        assertThat(liveImages()).filteredOn("web:2"::equals).hasSize(2);
        runAll(2_000);
        pass(11_999);
        assertThat(liveImages()).as("the delay runs from when the new tasks ran").filteredOn("web:2"::equals).hasSize(2);
        pass(12_000);
        assertThat(liveImages()).containsOnly("web:2");
    }

    @Test
    void aNewTaskThatFailsPausesTheUpdateAndNamesIt() {
        create(3, DEFAULTS);
        update("web:2", 1_000);
        pass(1_000);
        Task first = live().stream().filter(t -> t.getSpec().getImage().equals("web:2")).findFirst().orElseThrow();
        report(first, TaskState.FAILED, 1_500);

        pass(1_600);

        UpdateStatus status = service().getUpdateStatus();
        assertThat(status.getState()).isEqualTo(UpdateStatus.State.PAUSED);
        assertThat(status.getMessage()).isEqualTo("update paused due to failure or early termination of task " + first.getId());
        pass(30_000);
        runAll(30_000);
        pass(31_000);
        assertThat(liveImages()).as("a paused update replaces no more slots").containsExactly("web:2", "web:1", "web:1");
    }

    @Test
    void aTaskThatFailsAfterItsMonitorPeriodDoesNotCount() {
        create(2, DEFAULTS);
        update("web:2", 1_000);
        pass(1_000);
        runAll(1_000);
        Task first = live().stream().filter(t -> t.getSpec().getImage().equals("web:2")).findFirst().orElseThrow();
        pass(1_000);
        report(first, TaskState.FAILED, 6_001);

        pass(6_100);

        assertThat(service().getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.UPDATING);
    }

    @Test
    void failureActionRollbackPutsThePreviousSpecBackAndRollsTheTasksBack() {
        create(2, DEFAULTS.toBuilder().setFailureAction(UpdateConfig.FailureAction.ROLLBACK).build());
        update("web:2", 1_000);
        pass(1_000);
        Task bad = live().stream().filter(t -> t.getSpec().getImage().equals("web:2")).findFirst().orElseThrow();
        report(bad, TaskState.FAILED, 1_200);

        pass(1_300);
        Service rolled = service();
        assertThat(rolled.getSpec().getContainer().getImage()).isEqualTo("web:1");
        assertThat(rolled.hasPreviousSpec()).as("an automatic rollback leaves nothing to roll back to").isFalse();
        assertThat(rolled.getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.ROLLBACK_STARTED);
        assertThat(rolled.getUpdateStatus().getMessage())
                .isEqualTo("update rolled back due to failure or early termination of task " + bad.getId());

        for (long t = 1_400; t < 20_000; t += 1_000) {
            pass(t);
            runAll(t);
        }
        assertThat(liveImages()).containsExactly("web:1", "web:1");
        assertThat(service().getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.ROLLBACK_COMPLETED);
        assertThat(service().getUpdateStatus().getMessage()).isEqualTo("rollback completed");
    }

    @Test
    void anAutomaticRollbackToAPortAnotherServiceTookPausesAndSaysWhy() {
        create(2, DEFAULTS.toBuilder().setFailureAction(UpdateConfig.FailureAction.ROLLBACK).build());
        PortConfig before = PortConfig.newBuilder().setTargetPort(80).setPublishedPort(8080).build();
        PortConfig after = before.toBuilder().setPublishedPort(9090).build();
        // What ControlService writes for `service update --publish-rm 8080 --publish-add 9090:80 --image web:2`
        // of a service that published 8080; then another service takes 8080.
        Service s = service();
        store.commit(Actions.update(s.toBuilder().setPreviousSpec(s.getSpec()).addPreviousEndpointPorts(before)
                .setSpec(s.getSpec().toBuilder().setContainer(ContainerSpec.newBuilder().setImage("web:2")))
                .addEndpointPorts(after)
                .setUpdateStatus(UpdateStatus.newBuilder().setState(UpdateStatus.State.UPDATING)
                        .setMessage("update in progress").setStartedAtMs(1_000))
                .build()));
        store.commit(Actions.create(Service.newBuilder().setId("other").setMeta(Meta.getDefaultInstance())
                .setSpec(ServiceSpec.newBuilder().setName("api").setReplicas(1)
                        .setContainer(ContainerSpec.newBuilder().setImage("api:1")))
                .addEndpointPorts(before).build()));
        pass(1_000);
        Task bad = live().stream().filter(t -> t.getSpec().getImage().equals("web:2")).findFirst().orElseThrow();
        report(bad, TaskState.FAILED, 1_200);

        pass(1_300);
        Service paused = service();
        assertThat(paused.getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.PAUSED);
        assertThat(paused.getUpdateStatus().getMessage()).isEqualTo("update paused due to failure or early termination of task "
                + bad.getId() + "; it cannot roll back: port '8080' is already in use by service 'api' (other) as an ingress port");
        assertThat(paused.getSpec().getContainer().getImage()).isEqualTo("web:2");
        assertThat(paused.getEndpointPortsList()).containsExactly(after);
        assertThat(paused.getPreviousEndpointPortsList()).as("kept for a manual rollback").containsExactly(before);
        assertThat(paused.hasPreviousSpec()).isTrue();
    }

    @Test
    void aSpecThatReplacesNoTaskNeedsNoUpdate() {
        create(2, DEFAULTS);
        Service s = service();
        Service more = s.toBuilder().setSpec(s.getSpec().toBuilder().setReplicas(5)).build();
        Service other = s.toBuilder().setSpec(s.getSpec().toBuilder()
                .setContainer(s.getSpec().getContainer().toBuilder().setForceUpdate(1))).build();

        assertThat(Updater.needsUpdate(store.view(), more)).isFalse();
        assertThat(Updater.needsUpdate(store.view(), other)).as("--force").isTrue();
    }

    @Test
    void aNewTaskThatDoesNotRunWithinMonitorPlusTheDeadlineFailsTheUpdate() {
        create(2, DEFAULTS.toBuilder().setProgressDeadlineMs(60_000).build());
        update("web:2", 1_000);
        pass(1_000);
        Task stuck = live().stream().filter(t -> t.getSpec().getImage().equals("web:2")).findFirst().orElseThrow();

        pass(66_000);
        assertThat(service().getUpdateStatus().getState()).as("5 s + 60 s after it was created").isEqualTo(UpdateStatus.State.UPDATING);
        pass(66_001);

        assertThat(service().getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.PAUSED);
        assertThat(service().getUpdateStatus().getMessage()).endsWith(stuck.getId());
    }

    @Test
    void withoutADeadlineAStuckTaskIsWaitedForAsDockerDoes() {
        create(1, DEFAULTS);
        update("web:2", 1_000);
        pass(1_000);

        pass(3_600_000);

        assertThat(service().getUpdateStatus().getState()).isEqualTo(UpdateStatus.State.UPDATING);
    }
}
