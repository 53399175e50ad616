package dev.flotilla.agent;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Task;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Interface;
import dev.flotilla.vxlan.Endpoint;
import dev.flotilla.vxlan.VtepConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one node's VTEP should hold, as a function of the store alone (no I/O): where it binds,
 * whom it accepts VXLAN from, and each network's endpoint table.
 *
 * <p>Endpoints of a network: every task that has a node, is not in a terminal state and is
 * attached to the network (local when its node is this one, else remote at its node's
 * {@code addr}), plus, on the ingress network, every node's {@code ingress_address}, and on any
 * other network every node's LB address on it ({@code lb_addresses}: VIP connections come from
 * there, so the tasks' replies must find their way back to that node's {@code br0}). A remote
 * endpoint whose node has no usable address is left out (nothing could reach it). Should two
 * entries claim one address, a local one wins, else the first by task id, then node id.
 * Tables are sorted by address so that equal stores give equal lists.
 */
final class OverlayTables {

    private OverlayTables() {
    }

    /** This node's underlay address (its {@code Node.addr}), if the store has a usable one. */
    static Optional<Ipv4Address> underlayAddress(StoreView view, String nodeId) {
        return view.node(nodeId).flatMap(n -> parseAddress(n.getAddr()));
    }

    /** The cluster's VXLAN port ({@code data_path_port}), 4789 when none is set. */
    static int dataPathPort(StoreView view) {
        int port = view.cluster().map(Cluster::getDataPathPort).orElse(0);
        return port > 0 && port <= 65535 ? port : VtepConfig.DEFAULT_PORT;
    }

    /** Underlay addresses of every node in the store but this one, sorted. */
    static Set<Ipv4Address> peers(StoreView view, String nodeId) {
        Optional<Ipv4Address> self = underlayAddress(view, nodeId);
        Set<Ipv4Address> peers = new TreeSet<>();
        for (Node n : view.nodes().values()) {
            if (!n.getId().equals(nodeId)) {
                parseAddress(n.getAddr()).filter(a -> self.isEmpty() || !a.equals(self.get())).ifPresent(peers::add);
            }
        }
        return peers;
    }

    /** The endpoint table of {@code network} as seen from node {@code nodeId}, sorted by address. */
    static List<Endpoint> endpoints(StoreView view, String nodeId, Network network) {
        Map<Ipv4Address, Endpoint> byIp = new LinkedHashMap<>();
        List<Task> tasks = new ArrayList<>(view.tasks().values());
        tasks.sort(Comparator.comparing(Task::getId));
        for (Task t : tasks) {
            if (t.getNodeId().isEmpty() || TaskStates.isTerminal(t.getStatus().getState())) {
                continue;
            }
            for (NetworkAttachment a : t.getNetworksList()) {
                if (a.getNetworkId().equals(network.getId())) {
                    parseAddress(a.getAddress()).ifPresent(ip -> place(byIp, view, nodeId, t.getNodeId(), ip));
                }
            }
        }
        if (network.getSpec().getIngress()) {
            List<Node> nodes = new ArrayList<>(view.nodes().values());
            nodes.sort(Comparator.comparing(Node::getId));
            for (Node n : nodes) {
                parseAddress(n.getIngressAddress()).ifPresent(ip -> place(byIp, view, nodeId, n.getId(), ip));
            }
        } else {
            List<Node> nodes = new ArrayList<>(view.nodes().values());
            nodes.sort(Comparator.comparing(Node::getId));
            for (Node n : nodes) {
                for (NetworkAttachment a : n.getLbAddressesList()) {
                    if (a.getNetworkId().equals(network.getId())) {
                        parseAddress(a.getAddress()).ifPresent(ip -> place(byIp, view, nodeId, n.getId(), ip));
                    }
                }
            }
        }
        List<Endpoint> table = new ArrayList<>(byIp.values());
        table.sort(Comparator.comparing(Endpoint::ip));
        return List.copyOf(table);
    }

    private static void place(Map<Ipv4Address, Endpoint> byIp, StoreView view, String selfId, String hostId,
                              Ipv4Address ip) {
        Endpoint endpoint;
        if (hostId.equals(selfId)) {
            endpoint = Endpoint.local(ip);
        } else {
            Optional<Ipv4Address> vtep = underlayAddress(view, hostId);
            if (vtep.isEmpty()) {
                return;
            }
            endpoint = Endpoint.remote(ip, vtep.get());
        }
        Endpoint existing = byIp.get(ip);
        if (existing == null || (endpoint.local() && !existing.local())) {
            byIp.put(ip, endpoint);
        }
    }

    /**
     * The IPv4 address in {@code text}: a bare address, a CIDR ({@code 10.0.0.5/24}) or
     * {@code host:port}; empty when there is none.
     */
    static Optional<Ipv4Address> parseAddress(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        try {
            if (text.indexOf('/') >= 0) {
                return Optional.of(Ipv4Interface.parse(text).address());
            }
            int colon = text.indexOf(':');
            return Optional.of(Ipv4Address.parse(colon < 0 ? text : text.substring(0, colon)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
