package dev.flotilla.cluster.store;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.Task;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An immutable, consistent view of the store as of one applied Raft index. Objects are
 * protobuf messages, immutable themselves, so a view is cheap to share between threads.
 */
public record StoreView(
        long index,
        Map<String, Cluster> clusters,
        Map<String, Node> nodes,
        Map<String, Service> services,
        Map<String, Task> tasks,
        Map<String, Network> networks,
        Map<String, Secret> secrets,
        Map<String, Config> configs) {

    public static final StoreView EMPTY =
            new StoreView(0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

    /** A view with no secrets or configs (a test's). */
    public StoreView(long index, Map<String, Cluster> clusters, Map<String, Node> nodes, Map<String, Service> services,
            Map<String, Task> tasks, Map<String, Network> networks) {
        this(index, clusters, nodes, services, tasks, networks, Map.of(), Map.of());
    }

    public Optional<Cluster> cluster() {
        return clusters.values().stream().findFirst();
    }

    public Optional<Node> node(String id) {
        return Optional.ofNullable(nodes.get(id));
    }

    public Optional<Service> service(String id) {
        return Optional.ofNullable(services.get(id));
    }

    public Optional<Task> task(String id) {
        return Optional.ofNullable(tasks.get(id));
    }

    public Optional<Network> network(String id) {
        return Optional.ofNullable(networks.get(id));
    }

    public Optional<Secret> secret(String id) {
        return Optional.ofNullable(secrets.get(id));
    }

    /** A secret by exact id, exact name, then unique id prefix. */
    public Optional<Secret> findSecret(String idOrName) {
        return find(secrets.values(), idOrName, Secret::getId, s -> s.getSpec().getName());
    }

    public Optional<Config> config(String id) {
        return Optional.ofNullable(configs.get(id));
    }

    /** A config by exact id, exact name, then unique id prefix. */
    public Optional<Config> findConfig(String idOrName) {
        return find(configs.values(), idOrName, Config::getId, c -> c.getSpec().getName());
    }

    /** The swarm's ingress network (the routing mesh's overlay). */
    public Optional<Network> ingressNetwork() {
        return networks.values().stream().filter(n -> n.getSpec().getIngress()).findFirst();
    }

    public List<Task> tasksOfService(String serviceId) {
        return tasks.values().stream()
                .filter(t -> t.getServiceId().equals(serviceId))
                .collect(Collectors.toList());
    }

    public List<Task> tasksOnNode(String nodeId) {
        return tasks.values().stream()
                .filter(t -> t.getNodeId().equals(nodeId))
                .collect(Collectors.toList());
    }

    /**
     * Finds a service the way Docker does: exact id, then exact name, then unique id prefix.
     */
    public Optional<Service> findService(String idOrName) {
        return find(services.values(), idOrName, Service::getId, s -> s.getSpec().getName());
    }

    /** A network by exact id, exact name, then unique id prefix. */
    public Optional<Network> findNetwork(String idOrName) {
        return find(networks.values(), idOrName, Network::getId, n -> n.getSpec().getName());
    }

    static <T> Optional<T> find(Collection<T> all, String key,
            java.util.function.Function<T, String> id, java.util.function.Function<T, String> name) {
        if (key == null || key.isEmpty()) {
            return Optional.empty();
        }
        for (T t : all) {
            if (id.apply(t).equals(key)) {
                return Optional.of(t);
            }
        }
        for (T t : all) {
            if (name.apply(t).equals(key)) {
                return Optional.of(t);
            }
        }
        List<T> prefixed = all.stream().filter(t -> id.apply(t).startsWith(key)).limit(2).toList();
        return prefixed.size() == 1 ? Optional.of(prefixed.get(0)) : Optional.empty();
    }
}
