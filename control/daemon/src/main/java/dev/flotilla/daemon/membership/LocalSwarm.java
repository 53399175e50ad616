package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.logs.LogReader;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.manager.LogBroker;
import dev.flotilla.manager.logs.LogsService;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.InitSwarmResponse;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.JoinSwarmResponse;
import dev.flotilla.api.v1.JoinTokenResponse;
import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.manager.Dispatcher;
import dev.flotilla.manager.Manager;
import dev.flotilla.manager.controlapi.ControlService;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * This node's membership, as the API and the daemon see it: none until {@code swarm init} (a
 * one-member Raft group it leads, the CA, port 2377) or {@code swarm join} (a worker: a node
 * certificate and a session with the leader; or a manager: a Raft member added to the group).
 *
 * <p>Each change is its own class ({@link Rejoin}, {@link SwarmInit}, {@link SwarmJoin},
 * {@link SwarmLeave}, {@link Promotion}, {@link Demotion}); this façade runs each of them through
 * {@link Membership#change}, so they happen one at a time, and answers the API's questions from
 * {@link Membership} without waiting for a change to end.
 */
public final class LocalSwarm implements ControlService.Swarm, LogsService.Node, AutoCloseable {

    private final Membership membership;
    private final RoleWatch roleWatch;
    private final Rejoin rejoin;
    private final SwarmInit init;
    private final SwarmJoin join;
    private final SwarmLeave leave;
    private final Promotion promotion;
    private final Demotion demotion;

    /**
     * @param onMember called when this node enters a swarm (init, join, or restart into one) with
     *                 its view of the cluster: the replicated store, or a worker's session
     * @param onLeave  called when it leaves, before its Raft member or session stops: stop its tasks
     * @param logs     this node's task logs, served to the managers
     */
    public LocalSwarm(Path dataRoot, NodeDescription self, BiConsumer<ClusterConnection, String> onMember, Runnable onLeave,
            LogReader logs) {
        MembershipFiles files = new MembershipFiles(dataRoot);
        this.roleWatch = new RoleWatch(this::state, this::promote, this::demote);
        this.membership = new Membership(files, self, new AgentLink(onMember, roleWatch::seen), logs);
        Teardown teardown = new Teardown(membership, files, onLeave);
        this.rejoin = new Rejoin(membership, files);
        this.init = new SwarmInit(membership, files, self, teardown);
        this.join = new SwarmJoin(membership, files, self, teardown);
        this.leave = new SwarmLeave(membership, teardown);
        this.promotion = new Promotion(membership, files);
        this.demotion = new Demotion(membership, files);
    }

    /** Rejoins the swarm this node was in before it stopped, if any. */
    public void start() throws IOException {
        membership.change(() -> {
            rejoin.run();
            return null;
        });
    }

    @Override
    public InitSwarmResponse init(InitSwarmRequest request) {
        return membership.change(() -> init.run(request));
    }

    @Override
    public JoinSwarmResponse join(JoinSwarmRequest request) {
        return membership.change(() -> join.run(request));
    }

    @Override
    public void leave(boolean force) {
        membership.change(() -> {
            leave.run(force);
            return null;
        });
    }

    /** Run by {@link RoleWatch} on its own thread. */
    private void promote() {
        membership.change(() -> {
            promotion.run();
            return null;
        });
    }

    /** Run by {@link RoleWatch} on its own thread. */
    private void demote() {
        membership.change(() -> {
            demotion.run();
            return null;
        });
    }

    // The API's questions: answered from what the membership holds now, without the lock.

    @Override
    public JoinTokenResponse joinToken(NodeRole role, boolean rotate) {
        ManagerStack m = membership.manager().orElseThrow(() -> Errors.precondition(Errors.NOT_A_MANAGER));
        SwarmState s = membership.state().orElseThrow(() -> Errors.precondition(Errors.NOT_A_MANAGER));
        return SwarmJoinTokens.answer(m.manager(), ManagerStack.clusterAddr(s), role, rotate);
    }

    @Override
    public Optional<Manager> manager() {
        return membership.manager().map(ManagerStack::manager);
    }

    @Override
    public Optional<ClusterConnection> connection() {
        Optional<ManagerStack> m = membership.manager();
        return m.isPresent() ? Optional.of(m.get().manager()) : membership.worker().map(w -> w);
    }

    @Override
    public String notManagerMessage() {
        if (membership.locked()) {
            return Errors.SWARM_LOCKED;
        }
        return membership.state().filter(SwarmState::isWorker).isPresent() ? Errors.WORKER_NOT_MANAGER : Errors.NOT_A_MANAGER;
    }

    @Override
    public boolean locked() {
        return membership.locked();
    }

    @Override
    public void unlock(String unlockKey) {
        try {
            membership.change(() -> {
                rejoin.unlock(unlockKey);
                return null;
            });
        } catch (IOException e) {
            throw Errors.unavailable("cannot unlock this manager: " + e.getMessage());
        }
    }

    @Override
    public List<String> managers() {
        var w = membership.worker();
        if (w.isPresent()) {
            return w.get().managers();
        }
        return membership.manager().map(m -> Dispatcher.managers(m.manager().view())).orElse(List.of());
    }

    @Override
    public Map<String, ManagerStatus> managerStatuses() {
        return membership.manager().map(ManagerStack::statuses).orElse(Map.of());
    }

    @Override
    public Optional<LogBroker> broker() {
        return membership.manager().filter(m -> m.manager().isLeader()).map(m -> m.dispatcher().logs());
    }

    @Override
    public ManagedChannel peer(String target) {
        NodeCertificate id = membership.identity().orElseThrow(() -> Errors.precondition(Errors.NOT_A_MANAGER));
        try {
            return NettyChannelBuilder.forTarget(target).sslContext(id.clientContext())
                    .overrideAuthority(CertificateAuthority.OU_MANAGER).build();
        } catch (javax.net.ssl.SSLException e) {
            throw Errors.internal("cannot use this node's certificate: " + e.getMessage());
        }
    }

    @Override
    public String nodeId() {
        return membership.state().map(SwarmState::nodeId).orElse("");
    }

    public Optional<SwarmState> state() {
        return membership.state();
    }

    @Override
    public void close() {
        roleWatch.close();
        membership.stopAll();
    }
}
