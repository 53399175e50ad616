package dev.flotilla.agent;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.VirtualIp;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.common.TaskNames;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dns.RecordTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What service discovery knows, as a function of the store alone (no I/O): the embedded DNS
 * server's records per network, the networks a task's lookups may see, and each VIP's backends.
 *
 * <p>Only user-defined networks count; the ingress network has neither names nor VIP balancers
 * (its VIPs belong to the routing mesh). A task is an answer only while it runs and should run
 * ({@link TaskStates#servesTraffic}), so a task being stopped leaves DNS and every VIP pool on
 * the first pass after the store says so. Task addresses are ordered by slot, then task id, so
 * equal stores give equal tables.
 */
public final class DiscoveryRecords {

    private static final Logger log = LoggerFactory.getLogger(DiscoveryRecords.class);

    private DiscoveryRecords() {
    }

    /**
     * The records of every user-defined network: per service on it, {@code <service>} (its VIP
     * there, or under endpoint mode dnsrr its running tasks' addresses), {@code tasks.<service>},
     * the running tasks' container names ({@code <service>.<slot>.<task id>}), PTRs for task
     * addresses and VIPs, {@code _<port>._<proto>.<service>} SRV records for published ports, and
     * per network alias of the service there the same as {@code <service>} and {@code tasks.<service>}.
     */
    public static RecordTable table(StoreView view) {
        RecordTable.Builder builder = RecordTable.builder();
        String ingressId = view.ingressNetwork().map(Network::getId).orElse("");
        Map<String, List<Task>> running = runningTasksByService(view);
        List<Service> services = new ArrayList<>(view.services().values());
        services.sort(Comparator.comparing(Service::getId));
        for (Service s : services) {
            String name = s.getSpec().getName();
            boolean dnsrr = s.getSpec().getEndpointMode() == ServiceSpec.EndpointMode.DNSRR;
            for (String networkId : serviceNetworks(s, ingressId, view)) {
                Optional<Ipv4Address> vip = vip(s, networkId);
                boolean declared;
                try {
                    if (dnsrr) {
                        builder.dnsrrService(networkId, name);
                        declared = true;
                    } else if (vip.isPresent()) {
                        builder.vipService(networkId, name, vip.get());
                        declared = true;
                    } else {
                        declared = false; // VIP not allocated yet: tasks are still named below
                    }
                    for (PortConfig p : s.getEndpointPortsList()) {
                        if (p.getPublishedPort() > 0) {
                            builder.publishedPort(networkId, name, p.getPublishedPort(),
                                    IngressMesh.protocol(p).toString());
                        }
                    }
                    List<String> aliases = aliases(s, networkId);
                    if (!dnsrr) {
                        vip.ifPresent(v -> aliases.forEach(a -> builder.alias(networkId, a, v)));
                    }
                    for (Task t : running.getOrDefault(s.getId(), List.of())) {
                        Optional<Ipv4Address> ip = address(t, networkId);
                        if (ip.isEmpty()) {
                            continue;
                        }
                        if (declared) {
                            builder.task(networkId, name, containerName(t), ip.get());
                        } else {
                            builder.alias(networkId, "tasks." + name, ip.get());
                            builder.container(networkId, containerName(t), ip.get());
                        }
                        for (String a : aliases) {
                            builder.alias(networkId, "tasks." + a, ip.get());
                            if (dnsrr) {
                                builder.alias(networkId, a, ip.get());
                            }
                        }
                    }
                } catch (IllegalArgumentException e) {
                    log.debug("Service {} ({}) has no DNS records on network {}: {}", name, s.getId(), networkId,
                            e.getMessage());
                }
            }
        }
        return builder.build();
    }

    /** The service's aliases on {@code networkId} ({@code --network name=N,alias=A}), in spec order. */
    private static List<String> aliases(Service s, String networkId) {
        return s.getSpec().getNetworkAliasesList().stream()
                .filter(a -> a.getNetwork().equals(networkId))
                .map(NetworkAlias::getAlias)
                .toList();
    }

    /**
     * The networks {@code task}'s DNS lookups may see: its user-defined networks, in attachment
     * order (the first one that knows a name answers). Empty for a task on none: it gets no
     * embedded DNS, and the host's resolvers.
     */
    public static List<String> scope(StoreView view, Task task) {
        String ingressId = view.ingressNetwork().map(Network::getId).orElse("");
        return scope(task, ingressId);
    }

    static List<String> scope(Task task, String ingressId) {
        Set<String> out = new LinkedHashSet<>();
        for (NetworkAttachment a : task.getNetworksList()) {
            if (!a.getNetworkId().equals(ingressId)) {
                out.add(a.getNetworkId());
            }
        }
        return List.copyOf(out);
    }

    /**
     * The VIPs on {@code networkId} of the services attached to it (endpoint mode vip), each with
     * the addresses on that network of the service's running tasks; sorted by VIP.
     */
    public static Map<Ipv4Address, List<Ipv4Address>> vipBackends(StoreView view, String networkId) {
        Map<Ipv4Address, List<Ipv4Address>> out = new TreeMap<>();
        Map<String, List<Task>> running = runningTasksByService(view);
        for (Service s : view.services().values()) {
            if (s.getSpec().getEndpointMode() == ServiceSpec.EndpointMode.DNSRR) {
                continue;
            }
            Optional<Ipv4Address> vip = vip(s, networkId);
            if (vip.isEmpty()) {
                continue;
            }
            List<Ipv4Address> backends = new ArrayList<>();
            for (Task t : running.getOrDefault(s.getId(), List.of())) {
                address(t, networkId).filter(ip -> !backends.contains(ip)).ifPresent(backends::add);
            }
            out.put(vip.get(), List.copyOf(backends));
        }
        return out;
    }

    private static String containerName(Task t) {
        return TaskNames.containerName(t.getServiceName(), t.getSlot(), t.getNodeId(), t.getId());
    }

    /** Running tasks per service id, by slot then id. */
    private static Map<String, List<Task>> runningTasksByService(StoreView view) {
        Map<String, List<Task>> out = new LinkedHashMap<>();
        for (Task t : view.tasks().values()) {
            if (TaskStates.servesTraffic(t)) {
                out.computeIfAbsent(t.getServiceId(), k -> new ArrayList<>()).add(t);
            }
        }
        Comparator<Task> order = Comparator.comparingLong(Task::getSlot).thenComparing(Task::getId);
        out.values().forEach(l -> l.sort(order));
        return out;
    }

    /** The user-defined networks of a service: its spec's, then those its VIPs name, that still exist. */
    private static Set<String> serviceNetworks(Service s, String ingressId, StoreView view) {
        Set<String> out = new LinkedHashSet<>(s.getSpec().getNetworksList());
        s.getVirtualIpsList().forEach(v -> out.add(v.getNetworkId()));
        out.removeIf(id -> id.equals(ingressId) || view.network(id).isEmpty());
        return out;
    }

    private static Optional<Ipv4Address> vip(Service s, String networkId) {
        for (VirtualIp v : s.getVirtualIpsList()) {
            if (v.getNetworkId().equals(networkId)) {
                return OverlayTables.parseAddress(v.getAddr());
            }
        }
        return Optional.empty();
    }

    private static Optional<Ipv4Address> address(Task t, String networkId) {
        for (NetworkAttachment a : t.getNetworksList()) {
            if (a.getNetworkId().equals(networkId)) {
                return OverlayTables.parseAddress(a.getAddress());
            }
        }
        return Optional.empty();
    }
}
