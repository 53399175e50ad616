package dev.flotilla.daemon.membership;

import dev.flotilla.common.Platform;
import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.JoinTokens;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.common.Ids;
import dev.flotilla.common.Vnis;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.manager.orchestrator.Orchestrator;
import java.util.List;

/** The first transaction of a new swarm: its Cluster object (CA, join tokens, settings), its first node, the ingress network. */
final class InitialObjects {

    private InitialObjects() {
    }

    static List<StoreAction> of(SwarmState s, NodeDescription self, CertificateAuthority ca, String clusterId,
            InitSettings settings, long now) {
        return of(s, self, ca, clusterId, settings, "", now);
    }

    /** @param unlockKey the unlock key with {@code --autolock}, else empty */
    static List<StoreAction> of(SwarmState s, NodeDescription self, CertificateAuthority ca, String clusterId,
            InitSettings settings, String unlockKey, long now) {
        byte[] der = ca.certificateDer();
        Cluster cluster = Cluster.newBuilder()
                .setId(clusterId)
                .setMeta(Actions.meta(now))
                .setRootCaCertPem(ca.certificatePem())
                .setRootCaKeyPem(ca.privateKeyPem())
                .setJoinTokens(JoinTokens.newBuilder()
                        .setWorker(JoinToken.generate(der).toString())
                        .setManager(JoinToken.generate(der).toString()))
                .setDefaultAddrPool(settings.pool().toString())
                .setSubnetSize(settings.subnetSize())
                .setDataPathPort(settings.dataPathPort())
                .setTaskHistoryLimit(Orchestrator.DEFAULT_HISTORY_LIMIT)
                .setHeartbeatPeriodMs(settings.heartbeatMs())
                .setAutolock(!unlockKey.isEmpty())
                .setUnlockKey(unlockKey)
                .build();
        Node node = Node.newBuilder()
                .setId(s.nodeId())
                .setMeta(Actions.meta(now))
                .setRole(NodeRole.MANAGER)
                .setAvailability(NodeAvailability.ACTIVE)
                .setHostname(self.hostname())
                .setEngineVersion(self.engineVersion())
                .setPlatformOs(Platform.os())
                .setPlatformArch(Platform.arch())
                .setResources(nodeResources())
                .setState(NodeState.NODE_READY)
                .setAddr(s.advertiseAddr())
                .setLeader(true)
                .build();
        Ipv4Prefix subnet = new Ipv4Prefix(settings.pool().network(), settings.subnetSize());
        Network ingress = Network.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(now))
                .setSpec(NetworkSpec.newBuilder()
                        .setName("ingress")
                        .setDriver("overlay")
                        .setSubnet(subnet.toString())
                        .setGateway(subnet.address(1).toString())
                        .setIngress(true))
                .setVni(Vnis.FIRST)
                .build();
        return List.of(
                StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setCluster(cluster).build(),
                Actions.create(node),
                Actions.create(ingress));
    }

    /** This machine's CPUs and memory as a node reports them (Docker's Description.Resources). */
    static Resources nodeResources() {
        return Resources.newBuilder().setNanoCpus(Platform.nanoCpus()).setMemoryBytes(Platform.memoryBytes()).build();
    }
}
