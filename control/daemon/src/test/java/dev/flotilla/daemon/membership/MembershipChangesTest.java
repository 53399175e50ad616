package dev.flotilla.daemon.membership;

import static dev.flotilla.daemon.membership.Statuses.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.rpc.Errors;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which membership changes a node refuses in which state, and that a refused one starts and
 * records nothing. None of these reach a Raft group or a manager: they are refused first.
 */
class MembershipChangesTest {

    private static final NodeDescription SELF = new NodeDescription("node-1", "0.1.0");

    @TempDir
    Path dataRoot;

    private final AtomicInteger agentsStarted = new AtomicInteger();
    private final AtomicInteger tasksStopped = new AtomicInteger();

    private Membership membership(MembershipFiles files) {
        return new Membership(files, SELF, new AgentLink((c, id) -> agentsStarted.incrementAndGet(), v -> { }), NO_LOGS);
    }

    private static final SwarmState MANAGER = new SwarmState("n1", UUID.randomUUID(), "10.0.0.1", 2378,
            SwarmState.MANAGER, List.of());
    private static final SwarmState WORKER = new SwarmState("n2", null, "10.0.0.2", 2378, SwarmState.WORKER,
            List.of("10.0.0.1:2377"));

    @Test
    void initInASwarmIsRefusedAndChangesNothing() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        Membership m = membership(files);
        m.become(MANAGER);
        SwarmInit init = new SwarmInit(m, files, SELF, new Teardown(m, files, tasksStopped::incrementAndGet));

        assertRefused(() -> m.change(() -> init.run(InitSwarmRequest.getDefaultInstance())),
                Status.Code.FAILED_PRECONDITION, Errors.ALREADY_IN_SWARM);

        assertThat(files.load()).isEmpty();
        assertThat(files.certificate()).isEmpty();
        assertThat(m.manager()).isEmpty();
        assertThat(tasksStopped).hasValue(0);
    }

    @Test
    void joinInASwarmIsRefusedBeforeTheTokenIsLookedAt() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        Membership m = membership(files);
        m.become(WORKER);
        SwarmJoin join = new SwarmJoin(m, files, SELF, new Teardown(m, files, tasksStopped::incrementAndGet));

        assertRefused(() -> m.change(() -> join.run(JoinSwarmRequest.newBuilder()
                        .setToken("not a token").setRemoteAddr("10.0.0.1").build())),
                Status.Code.FAILED_PRECONDITION, Errors.ALREADY_IN_SWARM);

        assertThat(files.load()).isEmpty();
        assertThat(m.worker()).isEmpty();
        assertThat(m.state()).contains(WORKER);
    }

    @Test
    void aBadTokenIsRefusedBeforeAnyManagerIsCalled() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        Membership m = membership(files);
        SwarmJoin join = new SwarmJoin(m, files, SELF, new Teardown(m, files, tasksStopped::incrementAndGet));

        Statuses.assertRefusedContaining(() -> m.change(() -> join.run(JoinSwarmRequest.newBuilder()
                        .setToken("not a token").setRemoteAddr("10.0.0.1").setAdvertiseAddr("127.0.0.1").build())),
                Status.Code.INVALID_ARGUMENT, "invalid join token");

        assertThat(files.load()).isEmpty();
        assertThat(m.state()).isEmpty();
    }

    @Test
    void leaveOutsideASwarmIsRefused() {
        MembershipFiles files = new MembershipFiles(dataRoot);
        Membership m = membership(files);
        SwarmLeave leave = new SwarmLeave(m, new Teardown(m, files, tasksStopped::incrementAndGet));

        assertRefused(() -> m.change(() -> {
            leave.run(true);
            return null;
        }), Status.Code.FAILED_PRECONDITION, "This node is not part of a swarm");
        assertThat(tasksStopped).hasValue(0);
    }

    @Test
    void aManagerIsNotPromotedAndAWorkerIsNotDemoted() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        Membership m = membership(files);

        m.become(MANAGER);
        new Promotion(m, files).run();
        assertThat(m.state()).contains(MANAGER);

        m.become(WORKER);
        new Demotion(m, files).run();
        assertThat(m.state()).contains(WORKER);

        m.forget();
        new Promotion(m, files).run();
        new Demotion(m, files).run();
        assertThat(m.state()).isEmpty();
        assertThat(files.load()).isEmpty();
        assertThat(agentsStarted).hasValue(0);
    }

    /** This test's node has no task logs. */
    private static final dev.flotilla.cluster.logs.LogReader NO_LOGS = (nodeId, sources, options, out) -> {
        out.onCompleted();
        return () -> { };
    };

    @Test
    void outsideASwarmTheApiIsToldThisNodeIsNoManager() throws IOException {
        try (LocalSwarm swarm = new LocalSwarm(dataRoot, SELF, (c, id) -> agentsStarted.incrementAndGet(),
                tasksStopped::incrementAndGet, NO_LOGS)) {
            swarm.start();
            assertThat(swarm.nodeId()).isEmpty();
            assertThat(swarm.manager()).isEmpty();
            assertThat(swarm.connection()).isEmpty();
            assertThat(swarm.managers()).isEmpty();
            assertThat(swarm.managerStatuses()).isEmpty();
            assertThat(swarm.notManagerMessage()).isEqualTo(Errors.NOT_A_MANAGER);
            assertRefused(() -> swarm.joinToken(NodeRole.WORKER, false), Status.Code.FAILED_PRECONDITION, Errors.NOT_A_MANAGER);
            assertRefused(() -> swarm.leave(false), Status.Code.FAILED_PRECONDITION, "This node is not part of a swarm");
            assertThat(agentsStarted).hasValue(0);
        }
    }

    @Test
    void aRestartedWorkerWithoutItsCertificateSaysHowToRecover() throws IOException {
        new MembershipFiles(dataRoot).save(WORKER);
        try (LocalSwarm swarm = new LocalSwarm(dataRoot, SELF, (c, id) -> agentsStarted.incrementAndGet(),
                tasksStopped::incrementAndGet, NO_LOGS)) {
            assertThatThrownBy(swarm::start).isInstanceOf(IOException.class)
                    .hasMessage("this worker's certificate is missing from " + dataRoot.resolve("certificates")
                            + ": leave the swarm (flotilla swarm leave) and join it again");
            assertThat(swarm.notManagerMessage()).isEqualTo(Errors.WORKER_NOT_MANAGER);
            assertThat(agentsStarted).hasValue(0);
        }
    }

    @Test
    void aRestartedManagerWithoutItsCertificateSaysHowToRecover() throws IOException {
        new MembershipFiles(dataRoot).save(MANAGER);
        try (LocalSwarm swarm = new LocalSwarm(dataRoot, SELF, (c, id) -> agentsStarted.incrementAndGet(),
                tasksStopped::incrementAndGet, NO_LOGS)) {
            assertThatThrownBy(swarm::start).isInstanceOf(IOException.class)
                    .hasMessage("this manager's certificate is missing from " + dataRoot.resolve("certificates")
                            + ": leave the swarm (flotilla swarm leave --force) and init or join again");
            assertThat(swarm.manager()).isEmpty();
            assertThat(agentsStarted).hasValue(0);
        }
    }
}
