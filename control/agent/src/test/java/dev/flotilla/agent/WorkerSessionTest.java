package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.DispatcherGrpc;
import dev.flotilla.api.v1.HeartbeatRequest;
import dev.flotilla.api.v1.HeartbeatResponse;
import dev.flotilla.api.v1.SessionMessage;
import dev.flotilla.api.v1.SessionRequest;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.api.v1.TaskStatusUpdate;
import dev.flotilla.api.v1.UpdateTaskStatusRequest;
import dev.flotilla.api.v1.UpdateTaskStatusResponse;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreView;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A worker's session against two in-process fake managers, one gRPC server each. */
@Timeout(30)
class WorkerSessionTest {

    private static final long WAIT_MS = 10_000;
    private static final SessionRequest ME = SessionRequest.newBuilder().setHostname("worker-a").setAddr("198.18.0.2").build();

    private final List<Server> servers = new ArrayList<>();
    private FakeDispatcher first;
    private FakeDispatcher second;
    private WorkerSession session;
    private final Object changes = new Object();

    @BeforeEach
    void start() throws Exception {
        first = serve("manager-1");
        second = serve("manager-2");
        session = new WorkerSession(target -> InProcessChannelBuilder.forName(target).directExecutor().build(), ME,
                List.of(first.name, second.name));
        session.addListener(v -> {
            synchronized (changes) {
                changes.notifyAll();
            }
        });
        session.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (session != null) {
            session.close();
        }
        for (Server s : servers) {
            s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private FakeDispatcher serve(String name) throws Exception {
        FakeDispatcher d = new FakeDispatcher(InProcessServerBuilder.generateName() + "-" + name);
        servers.add(InProcessServerBuilder.forName(d.name).directExecutor().addService(d).build().start());
        return d;
    }

    private static Task task(String id) {
        return Task.newBuilder().setId(id).setNodeId("worker-a").setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED)).build();
    }

    private static SessionMessage assignments(long index, String... taskIds) {
        StoreSnapshot.Builder b = StoreSnapshot.newBuilder();
        for (String id : taskIds) {
            b.addTasks(task(id));
        }
        return SessionMessage.newBuilder().setAssignments(b).setIndex(index).setHeartbeatPeriodMs(5000).build();
    }

    private StoreView await(Predicate<StoreView> condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        synchronized (changes) {
            while (!condition.test(session.view())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for " + what + "; view at index " + session.view().index());
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(changes, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
        return session.view();
    }

    @Test
    void theSessionOpensWithTheFirstManagerAndDescribesThisNode() throws Exception {
        SessionRequest request = first.awaitSession();
        assertThat(request.getHostname()).isEqualTo("worker-a");
        assertThat(request.getAddr()).isEqualTo("198.18.0.2");
        assertThat(session.awaitSession(50)).isFalse();

        first.send(assignments(7, "t1"));

        assertThat(session.awaitSession(WAIT_MS)).isTrue();
        first.awaitHeartbeat();
    }

    @Test
    void theSessionCountsAsOpenOnlyOnceItsFirstAssignmentsAreTheView() throws Exception {
        List<Boolean> openAtFirstView = new CopyOnWriteArrayList<>();
        session.addListener(v -> {
            if (openAtFirstView.isEmpty()) {
                openAtFirstView.add(session.awaitSession(0));
            }
        });
        first.awaitSession();

        first.send(assignments(7, "t1", "t2"));

        assertThat(session.awaitSession(WAIT_MS)).isTrue();
        // Demotion switches the agent once the session is open: it must find the tasks there, not an empty view.
        assertThat(session.view().tasks().keySet()).containsExactlyInAnyOrder("t1", "t2");
        assertThat(openAtFirstView).as("session reported open before its first view was published").containsExactly(false);
    }

    @Test
    void eachMessageBecomesThisNodesView() throws Exception {
        first.awaitSession();

        first.send(assignments(7, "t1", "t2"));
        StoreView v = await(view -> view.index() == 7, "the first assignments");
        assertThat(v.tasks().keySet()).containsExactlyInAnyOrder("t1", "t2");

        first.send(assignments(9, "t2"));
        v = await(view -> view.index() == 9, "the second assignments");
        assertThat(v.tasks().keySet()).containsExactly("t2");
    }

    @Test
    void statusReportsGoToTheManagerOfTheSession() throws Exception {
        first.awaitSession();
        first.send(assignments(7, "t1"));
        assertThat(session.awaitSession(WAIT_MS)).isTrue();

        session.write(List.of(Actions.status("t1", TaskStatus.newBuilder().setState(TaskState.RUNNING).build())));

        assertThat(first.statuses).extracting(TaskStatusUpdate::getTaskId).containsExactly("t1");
        assertThat(first.statuses.get(0).getStatus().getState()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void whenTheStreamBreaksTheNodeKeepsItsViewAndReconnectsToTheNextManager() throws Exception {
        first.awaitSession();
        first.send(SessionMessage.newBuilder(assignments(7, "t1"))
                .addManagers(first.name).addManagers(second.name).build());
        await(view -> view.index() == 7, "the first manager's assignments");

        first.fail(Status.UNAVAILABLE.withDescription("this manager is not the leader"));

        second.awaitSession();
        assertThat(session.view().tasks().keySet()).as("tasks kept while no manager answers").containsExactly("t1");
        second.send(assignments(12, "t1", "t3"));
        StoreView v = await(view -> view.index() == 12, "the second manager's assignments");
        assertThat(v.tasks().keySet()).containsExactlyInAnyOrder("t1", "t3");
        session.write(List.of(Actions.status("t3", TaskStatus.newBuilder().setState(TaskState.RUNNING).build())));
        assertThat(second.statuses).extracting(TaskStatusUpdate::getTaskId).containsExactly("t3");
    }

    @Test
    void aWriteWithoutAnyManagerFailsSoTheReporterRetries() throws Exception {
        session.close();
        session = new WorkerSession(target -> InProcessChannelBuilder.forName(target).directExecutor().build(), ME,
                List.of("nobody"));

        assertThatThrownBy(() -> session.write(List.of(Actions.status("t1", TaskStatus.getDefaultInstance()))))
                .isInstanceOf(IllegalStateException.class).hasMessage("no session with a manager");
    }

    /** A manager's dispatcher: records what the worker sends, and sends what the test tells it to. */
    private static final class FakeDispatcher extends DispatcherGrpc.DispatcherImplBase {
        final String name;
        final BlockingQueue<SessionRequest> sessionRequests = new LinkedBlockingQueue<>();
        final List<TaskStatusUpdate> statuses = new CopyOnWriteArrayList<>();
        final AtomicInteger heartbeats = new AtomicInteger();
        private final Object lock = new Object();
        // Guarded by lock: the latest session's stream.
        private StreamObserver<SessionMessage> stream;

        FakeDispatcher(String name) {
            this.name = name;
        }

        SessionRequest awaitSession() throws InterruptedException {
            SessionRequest r = sessionRequests.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            if (r == null) {
                throw new AssertionError("no session opened with " + name + " within " + WAIT_MS + " ms");
            }
            return r;
        }

        void awaitHeartbeat() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            synchronized (lock) {
                while (heartbeats.get() == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("no heartbeat reached " + name);
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            }
        }

        void send(SessionMessage m) {
            synchronized (lock) {
                stream.onNext(m);
            }
        }

        void fail(Status status) {
            synchronized (lock) {
                stream.onError(status.asRuntimeException());
                stream = null;
            }
        }

        @Override
        public void session(SessionRequest request, StreamObserver<SessionMessage> out) {
            synchronized (lock) {
                stream = out;
            }
            sessionRequests.add(request);
        }

        @Override
        public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
            synchronized (lock) {
                heartbeats.incrementAndGet();
                lock.notifyAll();
            }
            out.onNext(HeartbeatResponse.newBuilder().setPeriodMs(5000).build());
            out.onCompleted();
        }

        @Override
        public void updateTaskStatus(UpdateTaskStatusRequest request, StreamObserver<UpdateTaskStatusResponse> out) {
            statuses.addAll(request.getUpdatesList());
            out.onNext(UpdateTaskStatusResponse.getDefaultInstance());
            out.onCompleted();
        }
    }
}
