package dev.flotilla.daemon.membership;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.JoinTokenResponse;
import dev.flotilla.api.v1.JoinTokens;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.manager.Manager;
import java.util.List;

/** {@code swarm join-token}: the token a role joins with, rotated first when asked (the old secret stops working). */
final class SwarmJoinTokens {

    private SwarmJoinTokens() {
    }

    /** @param managerAddr this manager's host:port, printed in the join command */
    static JoinTokenResponse answer(Manager m, String managerAddr, NodeRole role, boolean rotate) {
        Cluster cluster = m.view().cluster().orElseThrow(() -> Errors.internal("the swarm has no cluster object"));
        if (rotate) {
            byte[] caDer = CertificateAuthority.fromPem(cluster.getRootCaCertPem(), cluster.getRootCaKeyPem()).certificateDer();
            JoinTokens.Builder tokens = cluster.getJoinTokens().toBuilder();
            String fresh = JoinToken.generate(caDer).toString();
            if (role == NodeRole.MANAGER) {
                tokens.setManager(fresh);
            } else {
                tokens.setWorker(fresh);
            }
            m.write(List.of(StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE)
                    .setCluster(cluster.toBuilder().setJoinTokens(tokens)).build()));
            cluster = m.view().cluster().orElseThrow();
        }
        String token = role == NodeRole.MANAGER ? cluster.getJoinTokens().getManager() : cluster.getJoinTokens().getWorker();
        return JoinTokenResponse.newBuilder().setToken(token).setManagerAddr(managerAddr).build();
    }
}
