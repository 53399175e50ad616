package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.ca.UnlockKey;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.InitSwarmResponse;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.common.Ids;
import dev.flotilla.manager.raft.RaftNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code swarm init}: a new CA and this node's certificate, a one-member Raft group it leads, the
 * swarm's first objects, port 2377, and only then the state file. A failure leaves nothing behind.
 * Runs inside {@link Membership#change}.
 */
final class SwarmInit {

    private static final Logger log = LoggerFactory.getLogger(SwarmInit.class);

    private final Membership membership;
    private final MembershipFiles files;
    private final NodeDescription self;
    private final Teardown teardown;

    SwarmInit(Membership membership, MembershipFiles files, NodeDescription self, Teardown teardown) {
        this.membership = membership;
        this.files = files;
        this.self = self;
        this.teardown = teardown;
    }

    InitSwarmResponse run(InitSwarmRequest request) {
        membership.requireOutsideSwarm();
        String addr = AdvertiseAddress.choose(request.getAdvertiseAddr());
        InitSettings settings = InitSettings.of(request);
        SwarmState fresh = new SwarmState(Ids.newId(), UUID.randomUUID(), addr, RaftNode.DEFAULT_PORT,
                SwarmState.MANAGER, List.of());
        CertificateAuthority ca = CertificateAuthority.create();
        String clusterId = Ids.newId();
        NodeCertificate identity = NodeCertificate.selfIssued(ca, fresh.nodeId(), addr, clusterId);
        String unlockKey = request.getAutolock() ? UnlockKey.generate().text() : "";
        ManagerStack stack;
        try {
            files.save(identity);
            DataKey dataKey = DataKey.generate();
            files.save(dataKey, unlockKey);
            stack = membership.startManager(fresh, identity, ManagerStack.self(fresh), List.of(), dataKey);
            membership.enter(stack.manager(), fresh.nodeId());
            // The Raft client retries until the one-member group has elected itself.
            stack.manager().write(InitialObjects.of(fresh, self, ca, clusterId, settings, unlockKey,
                    System.currentTimeMillis()));
            stack.listen();
            files.save(fresh);
        } catch (RuntimeException | IOException e) {
            teardown.abandon();
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new UncheckedIOException((IOException) e);
        }
        membership.become(fresh);
        log.info("Swarm initialized: node {} is now a manager ({}:{})", fresh.nodeId(), addr, ManagerStack.MANAGER_PORT);
        Cluster cluster = stack.manager().view().cluster().orElseThrow();
        return InitSwarmResponse.newBuilder()
                .setNodeId(fresh.nodeId())
                .setWorkerToken(cluster.getJoinTokens().getWorker())
                .setManagerAddr(ManagerStack.clusterAddr(fresh))
                .setUnlockKey(unlockKey)
                .build();
    }
}
