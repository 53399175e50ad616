package dev.flotilla.cluster.store;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.cluster.store.MemoryStore.Refusal;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import java.util.Collection;
import java.util.Optional;

/**
 * What must stay unique in the store, checked when a transaction is applied (in Raft order, on
 * every manager alike): names per kind of object (services, networks, secrets), VXLAN ids, non-overlapping subnets, one service
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

    /** Why {@code candidate}'s spec names a secret the store does not have, or null. */
    static Refusal secretsOf(java.util.Map<String, Secret> secrets, Service candidate) {
        java.util.List<String> missing = candidate.getSpec().getContainer().getSecretsList().stream()
                .filter(r -> !secrets.containsKey(r.getSecretId())).map(r -> r.getSecretName()).toList();
        if (missing.isEmpty()) {
            return null;
        }
        return Refusal.invalid((missing.size() == 1 ? "secret" : "secrets") + " not found: " + String.join(", ", missing));
    }

    /** Why {@code secret} may not be removed (a service uses it), or null. */
    static Refusal secretInUse(Collection<Service> services, Secret secret) {
        java.util.List<String> users = services.stream()
                .filter(s -> s.getSpec().getContainer().getSecretsList().stream()
                        .anyMatch(r -> r.getSecretId().equals(secret.getId())))
                .map(s -> s.getSpec().getName()).sorted().toList();
        if (users.isEmpty()) {
            return null;
        }
        return Refusal.invalid("secret '" + secret.getSpec().getName() + "' is in use by the following "
                + (users.size() == 1 ? "service" : "services") + ": " + String.join(", ", users));
    }

    /** Why {@code candidate} (created or updated) has another secret's name, or null. */
    static Refusal secret(Collection<Secret> secrets, Secret candidate) {
        String name = candidate.getSpec().getName();
        for (Secret other : secrets) {
            if (!other.getId().equals(candidate.getId()) && other.getSpec().getName().equals(name)) {
                return new Refusal(StoreConflict.STORE_CONFLICT_NAME, "secret " + name + " already exists");
            }
        }
        return null;
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
