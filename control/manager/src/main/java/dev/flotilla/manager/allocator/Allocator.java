package dev.flotilla.manager.allocator;

import dev.flotilla.cluster.store.Actions;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.VirtualIp;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Interface;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Gives new tasks their network attachments (an address on the ingress network when the service
 * publishes ports), every service in VIP mode one virtual IP per network it is on, and every node
 * its address on the ingress network and one load-balancer address on each other network, then
 * moves tasks NEW -> PENDING. Addresses in use are read from the store on every pass: no separate
 * IPAM state can drift from the objects that hold the addresses.
 */
public final class Allocator {

    public List<StoreAction> allocate(StoreView view, long nowMs) {
        List<StoreAction> actions = new ArrayList<>();
        Optional<Network> ingress = view.ingressNetwork();
        Map<String, Set<Ipv4Address>> used = new HashMap<>();
        for (Network n : view.networks().values()) {
            used.put(n.getId(), usedAddresses(view, n));
        }
        for (Node node : view.nodes().values()) {
            Node.Builder b = node.toBuilder();
            if (ingress.isPresent() && node.getIngressAddress().isEmpty()) {
                next(ingress.get(), used.get(ingress.get().getId())).ifPresent(b::setIngressAddress);
            }
            // One LB address per other network; attachments to removed networks are dropped.
            List<NetworkAttachment> lbs = new ArrayList<>(node.getLbAddressesList());
            lbs.removeIf(a -> !view.networks().containsKey(a.getNetworkId()));
            for (Network n : view.networks().values()) {
                if (!n.getSpec().getIngress() && lbs.stream().noneMatch(a -> a.getNetworkId().equals(n.getId()))) {
                    next(n, used.get(n.getId())).ifPresent(a -> lbs.add(
                            NetworkAttachment.newBuilder().setNetworkId(n.getId()).setAddress(a).build()));
                }
            }
            b.clearLbAddresses().addAllLbAddresses(lbs);
            if (!b.build().equals(node)) {
                actions.add(Actions.update(b.build()));
            }
        }
        for (Service service : view.services().values()) {
            List<VirtualIp> vips = virtualIps(view, service, ingress, used);
            if (!vips.equals(service.getVirtualIpsList())) {
                actions.add(Actions.update(service.toBuilder().clearVirtualIps().addAllVirtualIps(vips).build()));
            }
        }
        for (Task task : view.tasks().values()) {
            if (task.getStatus().getState() != TaskState.NEW || !TaskStates.wantsToRun(task)) {
                continue;
            }
            Task.Builder b = task.toBuilder().clearNetworks();
            // The ingress leg first (eth0) when the service publishes ports, then its own networks.
            List<Network> networks = new ArrayList<>();
            if (!task.getPortsList().isEmpty()) {
                ingress.ifPresent(networks::add);
            }
            view.service(task.getServiceId()).ifPresent(s -> s.getSpec().getNetworksList()
                    .forEach(id -> view.network(id).ifPresent(networks::add)));
            String full = null;
            for (Network n : networks) {
                Optional<String> addr = next(n, used.get(n.getId()));
                if (addr.isEmpty()) {
                    full = n.getSpec().getName();
                    break;
                }
                b.addNetworks(NetworkAttachment.newBuilder().setNetworkId(n.getId()).setAddress(addr.get()));
            }
            if (full != null) {
                if (!task.getStatus().getErr().equals("no free address on network " + full)) {
                    actions.add(Actions.update(task.toBuilder().setStatus(task.getStatus().toBuilder()
                            .setErr("no free address on network " + full).setTimestampMs(nowMs)).build()));
                }
                continue;
            }
            b.setStatus(Actions.status(TaskState.PENDING, "pending task scheduling", nowMs));
            actions.add(Actions.update(b.build()));
        }
        return actions;
    }

    /**
     * The VIPs a service should have: in VIP mode, one on the ingress network when it publishes
     * ports and one on each of its networks, kept when already given; none in DNSRR mode.
     */
    private static List<VirtualIp> virtualIps(StoreView view, Service service, Optional<Network> ingress,
            Map<String, Set<Ipv4Address>> used) {
        List<VirtualIp> out = new ArrayList<>();
        if (service.getSpec().getEndpointMode() == ServiceSpec.EndpointMode.DNSRR) {
            return out;
        }
        List<Network> networks = new ArrayList<>();
        if (!service.getEndpointPortsList().isEmpty()) {
            ingress.ifPresent(networks::add);
        }
        service.getSpec().getNetworksList().forEach(id -> view.network(id).ifPresent(networks::add));
        for (Network n : networks) {
            Optional<VirtualIp> had = service.getVirtualIpsList().stream()
                    .filter(v -> v.getNetworkId().equals(n.getId())).findFirst();
            if (had.isPresent()) {
                out.add(had.get());
            } else {
                next(n, used.get(n.getId())).ifPresent(a -> out.add(
                        VirtualIp.newBuilder().setNetworkId(n.getId()).setAddr(a).build()));
            }
        }
        return out;
    }

    private static Set<Ipv4Address> usedAddresses(StoreView view, Network network) {
        Set<Ipv4Address> used = new HashSet<>();
        if (!network.getSpec().getGateway().isEmpty()) {
            used.add(Ipv4Address.parse(network.getSpec().getGateway()));
        }
        for (Node n : view.nodes().values()) {
            if (!n.getIngressAddress().isEmpty() && network.getSpec().getIngress()) {
                used.add(addressOf(n.getIngressAddress()));
            }
            for (NetworkAttachment a : n.getLbAddressesList()) {
                if (a.getNetworkId().equals(network.getId())) {
                    used.add(addressOf(a.getAddress()));
                }
            }
        }
        for (Service s : view.services().values()) {
            for (VirtualIp v : s.getVirtualIpsList()) {
                if (v.getNetworkId().equals(network.getId())) {
                    used.add(addressOf(v.getAddr()));
                }
            }
        }
        for (Task t : view.tasks().values()) {
            if (TaskStates.isTerminal(t.getStatus().getState())) {
                continue;
            }
            for (NetworkAttachment a : t.getNetworksList()) {
                if (a.getNetworkId().equals(network.getId())) {
                    used.add(addressOf(a.getAddress()));
                }
            }
        }
        return used;
    }

    /** The lowest free host address of the network, as CIDR; marks it used. */
    private static Optional<String> next(Network network, Set<Ipv4Address> used) {
        Ipv4Prefix subnet = Ipv4Prefix.parse(network.getSpec().getSubnet());
        for (long i = 1; i < subnet.size() - 1; i++) {
            Ipv4Interface a = Ipv4Interface.in(subnet, i);
            if (used.add(a.address())) {
                return Optional.of(a.toString());
            }
        }
        return Optional.empty();
    }

    private static Ipv4Address addressOf(String cidr) {
        return Ipv4Interface.parse(cidr).address();
    }
}
