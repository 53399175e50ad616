package dev.flotilla.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.DispatcherGrpc;
import dev.flotilla.api.v1.HeartbeatRequest;
import dev.flotilla.api.v1.LeaveRequest;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.SessionMessage;
import dev.flotilla.api.v1.SessionRequest;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.api.v1.TaskStatusUpdate;
import dev.flotilla.api.v1.UpdateTaskStatusRequest;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreView;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher over in-process gRPC, in front of a manager whose store commits locally. Heartbeat deadlines
 * run on a fake clock the test moves; the dispatcher's check loop runs as in production and sees that clock.
 */
@Timeout(60)
class DispatcherTest {

    /** Long enough that only the fake clock, never the test's real duration, runs a grace period out. */
    private static final long PERIOD_MS = 60_000;
    private static final String CLUSTER = "cluster1";

    @TempDir
    Path dir;
    private OneManager one;
    private Dispatcher dispatcher;
    private final AtomicLong nanos = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private Server server;
    private String name;
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        one = new OneManager(dir);
        one.write(StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setCluster(Cluster.newBuilder()
                        .setId(CLUSTER).setHeartbeatPeriodMs(PERIOD_MS)).build(),
                Actions.create(node(OneManager.SELF, NodeRole.MANAGER)),
                Actions.create(node("worker1", NodeRole.WORKER)),
                Actions.create(node("worker2", NodeRole.WORKER)),
                Actions.create(task("task1", "worker1")),
                Actions.create(task("task2", "worker2")));
        dispatcher = new Dispatcher(one.manager(), OneManager.SELF, nanos::get);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(dispatcher, OneManager.peerFromHeader(CLUSTER)))
                .build().start();
        dispatcher.start();
        // Its first check as leader gives every node a full grace period from now on the fake clock.
        one.await(v -> v.node(OneManager.SELF).map(Node::getLeader).orElse(false), "the dispatcher's first check");
        this.name = name;
    }

    @AfterEach
    void stop() throws Exception {
        channels.forEach(ManagedChannel::shutdownNow);
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (dispatcher != null) {
            dispatcher.close();
        }
        if (one != null) {
            one.close();
        }
    }

    private static Node node(String id, NodeRole role) {
        return Node.newBuilder().setId(id).setRole(role).setHostname(id + "-host").setState(NodeState.NODE_UNKNOWN).build();
    }

    private static Task task(String id, String nodeId) {
        return Task.newBuilder().setId(id).setServiceId("svc1").setServiceName("web").setSlot(1).setNodeId(nodeId)
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED)).build();
    }

    private DispatcherGrpc.DispatcherBlockingStub blocking(String nodeId) {
        return DispatcherGrpc.newBlockingStub(channel(nodeId)).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private ManagedChannel channel(String nodeId) {
        ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor()
                .intercept(OneManager.asNode(nodeId)).build();
        channels.add(ch);
        return ch;
    }

    /** Opens a session of {@code nodeId}; what it receives goes to the returned queue, its end to {@code ended}. */
    private Session open(String nodeId) {
        Session s = new Session();
        DispatcherGrpc.newStub(channel(nodeId)).session(SessionRequest.newBuilder().setHostname(nodeId + "-renamed")
                .setAddr("198.18.0.7").setEngineVersion("test-1").build(), s);
        return s;
    }

    private void advanceMs(long ms) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    private NodeState state(StoreView v, String nodeId) {
        return v.node(nodeId).orElseThrow().getState();
    }

    @Test
    void aSessionMarksTheNodeReadyAndStreamsItsAssignments() throws Exception {
        Session s = open("worker1");

        SessionMessage first = s.next();
        assertThat(first.getHeartbeatPeriodMs()).isEqualTo(PERIOD_MS);
        assertThat(first.getAssignments().getTasksList()).extracting(Task::getId).contains("task1");
        assertThat(first.getAssignments().getClusters(0).getRootCaKeyPem()).isEmpty();
        StoreView v = one.await(view -> state(view, "worker1") == NodeState.NODE_READY, "worker1 Ready");
        Node n = v.node("worker1").orElseThrow();
        assertThat(n.getHostname()).isEqualTo("worker1-renamed");
        assertThat(n.getAddr()).isEqualTo("198.18.0.7");
        assertThat(n.getEngineVersion()).isEqualTo("test-1");
    }

    @Test
    void everyCommitReachesTheOpenSessionAgain() throws Exception {
        Session s = open("worker1");
        s.next();

        one.write(Actions.create(task("task3", "worker1")));

        SessionMessage later = s.nextMatching(m -> m.getAssignments().getTasksList().stream()
                .anyMatch(t -> t.getId().equals("task3")));
        assertThat(later.getAssignments().getTasksList()).extracting(Task::getId).contains("task1", "task3");
    }

    @Test
    void aHeartbeatAnswersThePeriodTheClusterAsksFor() {
        assertThat(blocking("worker1").heartbeat(HeartbeatRequest.getDefaultInstance()).getPeriodMs()).isEqualTo(PERIOD_MS);
    }

    @Test
    void aNodeThatMissesItsHeartbeatsIsMarkedDownAndItsSessionEnds() throws Exception {
        Session quiet = open("worker1");
        open("worker2").next();
        quiet.next();
        one.await(v -> state(v, "worker1") == NodeState.NODE_READY && state(v, "worker2") == NodeState.NODE_READY,
                "both workers Ready");

        advanceMs(2 * PERIOD_MS);
        blocking("worker2").heartbeat(HeartbeatRequest.getDefaultInstance());
        advanceMs(Dispatcher.MISSED_HEARTBEATS * PERIOD_MS - 2 * PERIOD_MS + 1);

        StoreView v = one.await(view -> state(view, "worker1") == NodeState.NODE_DOWN, "worker1 Down");
        assertThat(v.node("worker1").orElseThrow().getStatusMessage()).isEqualTo("heartbeat failure");
        // The same check found worker2's deadline, moved by its heartbeat, still ahead.
        assertThat(state(v, "worker2")).isEqualTo(NodeState.NODE_READY);
        Throwable end = quiet.end.get(10, TimeUnit.SECONDS);
        assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(Status.fromThrowable(end).getDescription()).isEqualTo("heartbeat failure");
    }

    @Test
    void aNodeMarkedDownAsItsNewSessionOpenedIsReadyAgain() throws Exception {
        open("worker1").next();
        one.await(v -> state(v, "worker1") == NodeState.NODE_READY, "worker1 Ready");
        // The check that found the old session's deadline passed committed after the new session
        // opened, which had seen the node Ready and written nothing (CrashRecoveryIT, 2026-12-04).
        one.write(Actions.update(one.view().node("worker1").orElseThrow().toBuilder().setState(NodeState.NODE_DOWN)
                .setStatusMessage("heartbeat failure").build()));

        StoreView v = one.await(view -> state(view, "worker1") == NodeState.NODE_READY, "worker1 Ready again");
        assertThat(v.node("worker1").orElseThrow().getStatusMessage()).isEmpty();
    }

    @Test
    void eachNodesGracePeriodRunsFromItsOwnSession() throws Exception {
        open("worker1").next();
        advanceMs(Dispatcher.MISSED_HEARTBEATS * PERIOD_MS - 1);
        open("worker2").next();
        advanceMs(2);

        // worker1's grace ran out on the fake clock; worker2's, begun later, did not.
        StoreView v = one.await(view -> state(view, "worker1") == NodeState.NODE_DOWN, "worker1 Down");
        assertThat(state(v, "worker2")).isEqualTo(NodeState.NODE_READY);
    }

    @Test
    void statusReportsAreAppliedOnlyForTheCallersOwnTasks() {
        blocking("worker1").updateTaskStatus(UpdateTaskStatusRequest.newBuilder()
                .addUpdates(update("task1", TaskState.RUNNING))
                .addUpdates(update("task2", TaskState.FAILED))
                .build());

        StoreView v = one.await(view -> view.task("task1").orElseThrow().getStatus().getState() == TaskState.RUNNING,
                "task1 Running");
        assertThat(v.task("task2").orElseThrow().getStatus().getState()).isEqualTo(TaskState.ASSIGNED);
    }

    @Test
    void aNewerSessionOfTheSameNodeReplacesTheOlder() throws Exception {
        Session older = open("worker1");
        older.next();

        Session newer = open("worker1");
        newer.next();

        Throwable end = older.end.get(10, TimeUnit.SECONDS);
        assertThat(Status.fromThrowable(end).getCode()).isEqualTo(Status.Code.ABORTED);
        assertThat(newer.end).isNotDone();
    }

    @Test
    void aNodeThatLeavesIsDownAtOnceAndItsSessionCompletes() throws Exception {
        Session s = open("worker1");
        s.next();

        blocking("worker1").leave(LeaveRequest.getDefaultInstance());

        StoreView v = one.await(view -> state(view, "worker1") == NodeState.NODE_DOWN, "worker1 Down");
        assertThat(v.node("worker1").orElseThrow().getStatusMessage()).isEqualTo("node left the swarm");
        assertThat(s.end.get(10, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void aNodeTheSwarmDoesNotKnowIsRefused() throws Exception {
        Session s = open("stranger");

        Status refused = Status.fromThrowable(s.end.get(10, TimeUnit.SECONDS));
        assertThat(refused.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused.getDescription()).isEqualTo("node stranger is not part of the swarm");
        assertThat(s.messages).isEmpty();
    }

    private static TaskStatusUpdate update(String taskId, TaskState state) {
        return TaskStatusUpdate.newBuilder().setTaskId(taskId)
                .setStatus(TaskStatus.newBuilder().setState(state).setMessage("test")).build();
    }

    /** One session's messages, and how it ended: the error, or {@code null} when completed. */
    private static final class Session implements StreamObserver<SessionMessage> {
        final BlockingQueue<SessionMessage> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Throwable> end = new CompletableFuture<>();

        SessionMessage next() throws InterruptedException {
            SessionMessage m = messages.poll(10, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("no session message within 10 s; ended: " + end.getNow(null));
            }
            return m;
        }

        SessionMessage nextMatching(java.util.function.Predicate<SessionMessage> p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                SessionMessage m = messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (m != null && p.test(m)) {
                    return m;
                }
            }
            throw new AssertionError("no matching session message within 10 s");
        }

        @Override
        public void onNext(SessionMessage m) {
            messages.add(m);
        }

        @Override
        public void onError(Throwable t) {
            end.complete(t);
        }

        @Override
        public void onCompleted() {
            end.complete(null);
        }
    }
}
