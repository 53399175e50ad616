package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.common.Ids;
import dev.flotilla.executor.FakeExecutor;
import dev.flotilla.executor.FakeExecutor.FakeController;
import dev.flotilla.testkit.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One task's life on a node, driven through the executor's controller: here an in-memory fake of it. */
@Timeout(30)
class TaskRunnerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final FakeExecutor executor = new FakeExecutor();
    private final FakeSandboxes sandboxes = new FakeSandboxes();
    private final Reports reports = new Reports();
    private final StatusReporter reporter = new StatusReporter(reports::write);
    private final CountDownLatch done = new CountDownLatch(1);

    @AfterEach
    void close() {
        executor.releaseShutdowns();
        reporter.close();
    }

    private static Task task(String image) {
        return Task.newBuilder().setId(Ids.newId()).setServiceId("svc1").setServiceName("web").setSlot(2)
                .setNodeId("node1").setDesiredState(TaskState.RUNNING)
                .setSpec(ContainerSpec.newBuilder().setImage(image).addArgs("httpd").addEnv("MODE=test"))
                .build();
    }

    private TaskRunner runner(Task task) {
        return runner(task, TaskRunner.startsAtOnce());
    }

    private TaskRunner runner(Task task, Semaphore starts) {
        return new TaskRunner(task, "node1", executor, sandboxes, reporter, null, List.of(), starts, done::countDown);
    }

    private TaskRunner started(Task task) {
        TaskRunner r = runner(task);
        CompletableFuture.runAsync(r);
        executor.awaitCall(r.containerName(), "wait", WAIT);
        return r;
    }

    @Test
    void anAssignedTaskIsPreparedStartedAndReportedRunning() {
        Task task = task("nginx:1.25");
        TaskRunner r = started(task);

        TaskStatus running = reports.await(task.getId(), TaskState.RUNNING);
        assertThat(running.getContainerId()).isEqualTo(r.containerId());
        FakeController c = executor.container(r.containerId()).orElseThrow();
        assertThat(c.calls()).containsExactly("prepare", "start", "wait");
        assertThat(c.spec().name()).isEqualTo("web.2." + task.getId());
        assertThat(c.spec().image()).isEqualTo("nginx:1.25");
        assertThat(c.spec().args()).containsExactly("httpd");
        assertThat(c.spec().env()).containsExactly("MODE=test");
        assertThat(c.spec().hostname()).isEqualTo(r.containerId().substring(0, 12));
        assertThat(c.spec().netnsPath()).hasToString("/run/netns/" + sandboxes.netns(task.getId()));
        assertThat(c.spec().labels()).containsEntry("flotilla.task.id", task.getId())
                .containsEntry("flotilla.service.id", "svc1").containsEntry("flotilla.node.id", "node1");
    }

    @Test
    void aContainerThatExitsNonZeroIsReportedFailedWithItsExitCodeAndRemoved() throws Exception {
        Task task = task("busybox");
        TaskRunner r = started(task);

        executor.exit(r.containerId(), 3);

        TaskStatus failed = reports.await(task.getId(), TaskState.FAILED);
        assertThat(failed.getExitCode()).isEqualTo(3);
        assertThat(failed.getErr()).isEqualTo("task: non-zero exit (3)");
        assertThat(done.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(executor.container(r.containerId()).orElseThrow().calls()).endsWith("remove");
        assertThat(sandboxes.removed).contains(task.getId());
    }

    @Test
    void tasksBeyondTheNodesStartPermitsWaitInPreparingAndStartInTurn() {
        Semaphore starts = new Semaphore(2, true);
        sandboxes.hold();
        List<Task> tasks = List.of(task("busybox"), task("busybox"), task("busybox"));
        for (Task t : tasks) {
            Thread worker = new Thread(runner(t, starts), "fl-task-test");
            worker.setDaemon(true);
            worker.start();
        }

        Poll.until(WAIT, () -> sandboxes.inside.get() == 2 && starts.getQueueLength() == 1,
                () -> sandboxes.inside.get() + " sandboxes under way, " + starts.getQueueLength() + " tasks waiting");
        tasks.forEach(t -> reports.await(t.getId(), TaskState.PREPARING));
        assertThat(executor.containers()).as("no container before its sandbox").isEmpty();

        sandboxes.release();

        tasks.forEach(t -> reports.await(t.getId(), TaskState.RUNNING));
        assertThat(starts.availablePermits()).as("every permit back").isEqualTo(2);
    }

    @Test
    void aContainerThatExitsZeroIsReportedComplete() {
        Task task = task("busybox");
        TaskRunner r = started(task);

        executor.exit(r.containerId(), 0);

        TaskStatus complete = reports.await(task.getId(), TaskState.COMPLETE);
        assertThat(complete.getExitCode()).isZero();
        assertThat(complete.getMessage()).isEqualTo("finished");
    }

    @Test
    void aMissingImageRejectsTheTaskWithTheImagesNameAndStartsNothing() throws Exception {
        executor.withoutImage("nope:1");
        Task task = task("nope:1");
        TaskRunner r = runner(task);

        r.run();

        TaskStatus rejected = reports.await(task.getId(), TaskState.REJECTED);
        assertThat(rejected.getErr()).isEqualTo("No such image: nope:1");
        assertThat(executor.container(r.containerId()).orElseThrow().calls()).doesNotContain("start");
        assertThat(sandboxes.removed).contains(task.getId());
    }

    @Test
    void anImageItsRegistryRefusesRejectsTheTaskWithTheRegistrysReasonBeforeAnySandbox() throws Exception {
        executor.pullFails("registry.test/web:nope", "reading manifest nope in registry.test/web: manifest unknown");
        Task task = task("registry.test/web:nope");
        TaskRunner r = runner(task);

        r.run();

        TaskStatus rejected = reports.await(task.getId(), TaskState.REJECTED);
        assertThat(rejected.getErr())
                .isEqualTo("registry.test/web:nope: reading manifest nope in registry.test/web: manifest unknown");
        assertThat(executor.container(r.containerId())).as("no container made").isEmpty();
        assertThat(sandboxes.created).doesNotContain(task.getId());
    }

    @Test
    void aSandboxThatCannotBeMadeRejectsTheTaskBeforeAnyContainer() {
        sandboxes.failure = "veth: File exists";
        Task task = task("busybox");
        TaskRunner r = runner(task);

        r.run();

        assertThat(reports.await(task.getId(), TaskState.REJECTED).getErr()).isEqualTo("network sandbox: veth: File exists");
        assertThat(executor.container(r.containerId())).isEmpty();
    }

    @Test
    void aWithdrawnAssignmentShutsTheContainerDownAndRemovesIt() throws Exception {
        Task task = task("busybox");
        TaskRunner r = started(task);

        r.shutdown();

        TaskStatus shutdown = reports.await(task.getId(), TaskState.SHUTDOWN);
        assertThat(shutdown.getMessage()).isEqualTo("shutdown");
        assertThat(done.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(executor.container(r.containerId()).orElseThrow().calls())
                .containsExactly("prepare", "start", "wait", "shutdown", "remove");
        assertThat(executor.container(r.containerId()).orElseThrow().stopSignal()).as("Docker's default").isEqualTo("TERM");
        assertThat(executor.container(r.containerId()).orElseThrow().stopGrace()).isEqualTo(Duration.ofSeconds(10));
        assertThat(sandboxes.removed).contains(task.getId());
    }

    @Test
    void theStopSignalAndGracePeriodOfTheSpecReachTheContainer() throws Exception {
        Task task = task("busybox");
        task = task.toBuilder().setSpec(task.getSpec().toBuilder().setStopSignal("SIGQUIT").setStopGracePeriodMs(3_000)).build();
        TaskRunner r = started(task);

        r.shutdown();

        reports.await(task.getId(), TaskState.SHUTDOWN);
        assertThat(executor.container(r.containerId()).orElseThrow().stopSignal()).isEqualTo("SIGQUIT");
        assertThat(executor.container(r.containerId()).orElseThrow().stopGrace()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aForcedRemovalKillsAContainerWhoseShutdownHangs() {
        executor.hangOnShutdown();
        Task task = task("busybox");
        TaskRunner r = started(task);
        CompletableFuture.runAsync(r::shutdown);
        executor.awaitCall(r.containerId(), "shutdown", WAIT);

        r.killAndAwaitRemoval();

        assertThat(executor.container(r.containerId()).orElseThrow().calls()).contains("terminate").endsWith("remove");
        reports.await(task.getId(), TaskState.SHUTDOWN);
        assertThat(sandboxes.removed).contains(task.getId());
    }

    private static Task checked(Task task, HealthConfig.Builder health) {
        return task.toBuilder().setSpec(task.getSpec().toBuilder().setHealthcheck(health)).build();
    }

    @Test
    void aTaskWithAHealthCheckIsStartingUntilItsFirstHealthyCheck() {
        executor.probeExit(1);
        Task task = checked(task("busybox"), HealthConfig.newBuilder().addTest("CMD-SHELL").addTest("test -f /ok")
                .setIntervalMs(10).setRetries(3).setStartPeriodMs(3_600_000));
        TaskRunner r = started(task);

        executor.awaitCalls(r.containerId(), calls -> calls.stream().filter("probe"::equals).count() >= 5, WAIT,
                "five failed checks in the start period");
        assertThat(reports.latest(task.getId()).getState()).as("failures in the start period do not count")
                .isEqualTo(TaskState.STARTING);

        executor.probeExit(0);

        reports.await(task.getId(), TaskState.RUNNING);
        assertThat(reports.latest(task.getId()).getState()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void retriesFailedChecksInARowReportTheTaskFailedThenKillIt() throws Exception {
        executor.probeExit(1);
        Task task = checked(task("busybox"), HealthConfig.newBuilder().addTest("CMD").addTest("false")
                .setIntervalMs(10).setRetries(2));
        TaskRunner r = started(task);

        TaskStatus failed = reports.await(task.getId(), TaskState.FAILED);

        assertThat(failed.getErr()).isEqualTo("task: non-zero exit (137): dockerexec: unhealthy container");
        assertThat(failed.getExitCode()).isEqualTo(137);
        assertThat(done.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(executor.container(r.containerId()).orElseThrow().calls()).contains("terminate").endsWith("remove");
        assertThat(reports.latest(task.getId()).getState()).as("one verdict, not a second report on exit")
                .isEqualTo(TaskState.FAILED);
    }

    @Test
    void checkCommandsRunAsDockerRunsThem() {
        assertThat(HealthMonitor.argv(HealthConfig.newBuilder().addTest("CMD-SHELL").addTest("curl -f localhost").build()))
                .containsExactly("/bin/sh", "-c", "curl -f localhost");
        assertThat(HealthMonitor.argv(HealthConfig.newBuilder().addTest("CMD").addTest("curl").addTest("-f").build()))
                .containsExactly("curl", "-f");
        assertThat(HealthMonitor.enabled(HealthConfig.newBuilder().addTest("NONE").build())).isFalse();
        assertThat(HealthMonitor.enabled(HealthConfig.getDefaultInstance())).isFalse();
    }

    /** The task status writes the reporter makes, newest last. */
    private static final class Reports {
        // Guarded by this.
        private final List<StoreAction> written = new ArrayList<>();

        synchronized void write(List<StoreAction> actions) {
            written.addAll(actions);
            notifyAll();
        }

        synchronized TaskStatus latest(String taskId) {
            TaskStatus last = null;
            for (StoreAction a : written) {
                if (a.getTaskStatus().getTaskId().equals(taskId)) {
                    last = a.getTaskStatus().getStatus();
                }
            }
            return last;
        }

        /** The first report of {@code state} for the task; fails at the deadline. */
        synchronized TaskStatus await(String taskId, TaskState state) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                for (StoreAction a : written) {
                    if (a.getTaskStatus().getTaskId().equals(taskId) && a.getTaskStatus().getStatus().getState() == state) {
                        return a.getTaskStatus().getStatus();
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("task " + taskId + " was not reported " + state + "; last report: " + latest(taskId));
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
    }

    /** Sandboxes that are names only. */
    private static final class FakeSandboxes implements TaskSandboxes {
        final List<String> removed = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> created = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile String failure;
        /** Sandboxes being made now. */
        final AtomicInteger inside = new AtomicInteger();
        private volatile CountDownLatch gate = new CountDownLatch(0);

        /** From now on sandboxes are made only once {@link #release} is called. */
        void hold() {
            gate = new CountDownLatch(1);
        }

        void release() {
            gate.countDown();
        }

        String netns(String taskId) {
            return "fl-test-task-" + taskId.substring(0, 12);
        }

        @Override
        public String createTaskSandbox(String taskId, List<SandboxNetwork.Attachment> attachments) {
            created.add(taskId);
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            inside.incrementAndGet();
            try {
                if (!gate.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the sandboxes");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                inside.decrementAndGet();
            }
            return netns(taskId);
        }

        @Override
        public String taskNetns(String taskId) {
            return netns(taskId);
        }

        @Override
        public void removeTaskSandbox(String taskId) {
            removed.add(taskId);
        }
    }
}
