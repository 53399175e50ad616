package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import java.util.List;

/**
 * The store as the tests of the store and of the modules above it (manager, agent) use it: a
 * {@link MemoryStore} whose transactions commit at the next Raft index, as a leader's would, and
 * the objects they put in it. Shipped in flotilla-cluster's test-jar (test scope).
 */
public final class StoreFixtures {

    private final MemoryStore store = new MemoryStore();
    private long index;

    /** Commits the actions as one transaction at the next index; a refused transaction fails the test with the store's reason. */
    public StoreView commit(StoreAction... actions) {
        return commit(List.of(actions));
    }

    /** As {@link #commit(StoreAction...)}. */
    public StoreView commit(List<StoreAction> actions) {
        StoreResult result = store.apply(StoreTransaction.newBuilder().addAllActions(actions).build(), ++index);
        assertThat(result.getOk()).as(result.getError()).isTrue();
        return store.view();
    }

    public StoreView view() {
        return store.view();
    }

    /** A node with its underlay address and its address on the ingress network ("" for none). */
    public static Node node(String id, String addr, String ingressAddress) {
        return Node.newBuilder().setId(id).setMeta(Meta.getDefaultInstance()).setHostname(id).setAddr(addr)
                .setIngressAddress(ingressAddress).build();
    }

    /** An overlay network, already allocated its VNI and subnet. */
    public static Network network(String id, String name, int vni, String subnet, boolean ingress) {
        return Network.newBuilder().setId(id).setMeta(Meta.getDefaultInstance()).setVni(vni)
                .setSpec(NetworkSpec.newBuilder().setName(name).setDriver("overlay").setSubnet(subnet).setIngress(ingress))
                .build();
    }

    /** A service publishing each of {@code publishedTcpPorts} to its tasks' port 80. */
    public static Service service(String id, String name, int... publishedTcpPorts) {
        Service.Builder b = Service.newBuilder().setId(id).setMeta(Meta.getDefaultInstance())
                .setSpec(ServiceSpec.newBuilder().setName(name));
        for (int p : publishedTcpPorts) {
            b.addEndpointPorts(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP).setPublishedPort(p).setTargetPort(80));
        }
        return b.build();
    }

    /** A task meant to run on {@code nodeId}, now in {@code state}, attached to (network id, address/prefix) pairs. */
    public static Task task(String id, String nodeId, TaskState state, String... networkAndAddress) {
        Task.Builder t = Task.newBuilder().setId(id).setMeta(Meta.getDefaultInstance()).setNodeId(nodeId)
                .setDesiredState(TaskState.RUNNING).setStatus(TaskStatus.newBuilder().setState(state));
        for (int i = 0; i < networkAndAddress.length; i += 2) {
            t.addNetworks(NetworkAttachment.newBuilder().setNetworkId(networkAndAddress[i])
                    .setAddress(networkAndAddress[i + 1]));
        }
        return t.build();
    }
}
