package dev.flotilla.cluster.store;

import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.cluster.store.MemoryStore.Refusal;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * What must stay unique in the store, checked when a transaction is applied (in Raft order, on
 * every manager alike): names per kind of object (services, networks, secrets, configs), the secrets and configs a
 * service names, VXLAN ids, non-overlapping subnets, one service
 * per published port and protocol. The messages are the API's own for the same clash, so a user
 * who lost a race reads what a user who came second reads.
 */
public final class StoreConstraints {

    private StoreConstraints() {
    }

    /** Why {@code candidate} (created or updated) clashes with the other services, or null. */
    static Refusal service(Collection<Service> services, Service candidate) {
        String name = candidate.getSpec().getName();
        for (Service other : services) {
            if (other.getId().equals(candidate.getId())) {
                continue;
            }
            if (other.getSpec().getName().equals(name)) {
                return new Refusal(StoreConflict.STORE_CONFLICT_NAME, "service " + name + " already exists");
            }
            for (PortConfig mine : candidate.getEndpointPortsList()) {
                for (PortConfig theirs : other.getEndpointPortsList()) {
                    if (mine.getPublishedPort() == theirs.getPublishedPort() && mine.getProtocol() == theirs.getProtocol()) {
                        return new Refusal(StoreConflict.STORE_CONFLICT_PORT, portInUse(theirs.getPublishedPort(), other));
                    }
                }
            }
        }
        return null;
    }

    /**
     * Why the store would refuse {@code candidate} next to {@code services} (a name or published
     * port another service holds), for a writer that decides what to write instead.
     */
    public static Optional<String> serviceClash(Collection<Service> services, Service candidate) {
        return Optional.ofNullable(service(services, candidate)).map(Refusal::message);
    }

    /** The API's sentence for a published port another service holds. */
    public static String portInUse(int port, Service holder) {
        return "port '" + port + "' is already in use by service '" + holder.getSpec().getName() + "' ("
                + holder.getId() + ") as an ingress port";
    }

    /** Why {@code candidate} (created or updated) clashes with the other networks, or null. */
    static Refusal network(Collection<Network> networks, Network candidate) {
        String name = candidate.getSpec().getName();
        Ipv4Prefix subnet = prefix(candidate);
        for (Network other : networks) {
            if (other.getId().equals(candidate.getId())) {
                continue;
            }
            if (other.getSpec().getName().equals(name)) {
                return new Refusal(StoreConflict.STORE_CONFLICT_NAME, "network with name " + name + " already exists");
            }
            if (candidate.getVni() != 0 && other.getVni() == candidate.getVni()) {
                return new Refusal(StoreConflict.STORE_CONFLICT_VNI, "VXLAN id " + candidate.getVni()
                        + " is already used by network " + other.getSpec().getName());
            }
            Ipv4Prefix theirs = prefix(other);
            if (subnet != null && theirs != null && subnet.overlaps(theirs)) {
                return new Refusal(StoreConflict.STORE_CONFLICT_SUBNET, "subnet " + subnet
                        + " overlaps with network subnet " + theirs);
            }
        }
        return null;
    }

    /** Why {@code candidate}'s spec names a secret or config the store does not have, or null. */
    static Refusal referencesOf(java.util.Map<String, Secret> secrets, java.util.Map<String, Config> configs,
            Service candidate) {
        ContainerSpec c = candidate.getSpec().getContainer();
        Refusal r = missing("secret", secrets.keySet(), c.getSecretsList().stream()
                .map(x -> java.util.Map.entry(x.getSecretId(), x.getSecretName())).toList());
        return r != null ? r : missing("config", configs.keySet(), c.getConfigsList().stream()
                .map(x -> java.util.Map.entry(x.getConfigId(), x.getConfigName())).toList());
    }

    private static Refusal missing(String kind, java.util.Set<String> ids, List<java.util.Map.Entry<String, String>> refs) {
        List<String> missing = refs.stream().filter(r -> !ids.contains(r.getKey())).map(java.util.Map.Entry::getValue).toList();
        return missing.isEmpty() ? null : Refusal.invalid(notFound(kind, missing));
    }

    /** swarmkit's "secret not found: a" / "configs not found: a, b". */
    public static String notFound(String kind, List<String> names) {
        return kind + (names.size() == 1 ? "" : "s") + " not found: " + String.join(", ", names);
    }

    /** Why {@code secret} may not be removed (a service uses it), or null. */
    static Refusal secretInUse(Collection<Service> services, Secret secret) {
        return inUse(services, "secret", secret.getSpec().getName(),
                s -> s.getContainer().getSecretsList().stream().anyMatch(r -> r.getSecretId().equals(secret.getId())));
    }

    /** Why {@code config} may not be removed (a service uses it), or null. */
    static Refusal configInUse(Collection<Service> services, Config config) {
        return inUse(services, "config", config.getSpec().getName(),
                s -> s.getContainer().getConfigsList().stream().anyMatch(r -> r.getConfigId().equals(config.getId())));
    }

    private static Refusal inUse(Collection<Service> services, String kind, String name,
            java.util.function.Predicate<dev.flotilla.api.v1.ServiceSpec> uses) {
        return inUseMessage(kind, name, services.stream().filter(s -> uses.test(s.getSpec()))
                .map(s -> s.getSpec().getName()).sorted().toList()).map(Refusal::invalid).orElse(null);
    }

    /** swarmkit's refusal to remove a secret or config the services {@code users} use; empty if none does. */
    public static Optional<String> inUseMessage(String kind, String name, List<String> users) {
        if (users.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(kind + " '" + name + "' is in use by the following " + (users.size() == 1 ? "service" : "services")
                + ": " + String.join(", ", users));
    }

    /** Why {@code candidate} (created or updated) has another secret's name, or null. */
    static Refusal secret(Collection<Secret> secrets, Secret candidate) {
        return named("secret", secrets.stream().filter(o -> !o.getId().equals(candidate.getId()))
                .map(o -> o.getSpec().getName()), candidate.getSpec().getName());
    }

    /** Why {@code candidate} (created or updated) has another config's name, or null. */
    static Refusal config(Collection<Config> configs, Config candidate) {
        return named("config", configs.stream().filter(o -> !o.getId().equals(candidate.getId()))
                .map(o -> o.getSpec().getName()), candidate.getSpec().getName());
    }

    private static Refusal named(String kind, java.util.stream.Stream<String> others, String name) {
        return others.anyMatch(name::equals)
                ? new Refusal(StoreConflict.STORE_CONFLICT_NAME, kind + " " + name + " already exists") : null;
    }

    private static Ipv4Prefix prefix(Network n) {
        String text = n.getSpec().getSubnet();
        if (text.isEmpty()) {
            return null;
        }
        try {
            return Ipv4Prefix.parse(text);
        } catch (IllegalArgumentException e) {
            // The API writes only parsed subnets; an unparsable one clashes with nothing.
            return null;
        }
    }
}
