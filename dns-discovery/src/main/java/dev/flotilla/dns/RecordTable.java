package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the embedded DNS server knows, per network: an immutable snapshot. The control plane builds
 * a new table whenever services, tasks or attachments change and hands it to
 * {@link EmbeddedDnsServer#publish}, which swaps it in atomically: every query is answered from
 * exactly one table, old or new, never a mix. Thread-safe because immutable.
 *
 * <p>Per network the table holds: {@code <service>} to its VIP (endpoint mode vip) or to its running
 * tasks' IPs (dnsrr); {@code tasks.<service>} to its running tasks' IPs; container names and network
 * aliases to their IP; PTR names for task IPs (to the container name) and VIPs (to the service
 * name); {@code _<port>._<proto>.<service>} SRV records for published ports. Keys are compared
 * case-insensitively; which tasks count as running (and healthy) is the control plane's call.
 */
public final class RecordTable {

    public static final RecordTable EMPTY = new RecordTable(Map.of());

    /** network id -> lowered name (no trailing dot) -> records. */
    private final Map<String, Map<String, NameRecords>> networks;

    private RecordTable(Map<String, Map<String, NameRecords>> networks) {
        this.networks = networks;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * What the first network of {@code scope} (in its order) that knows {@code name} says about it,
     * or {@code null} when none does. {@code name} is compared case-insensitively, with or without
     * its trailing dot.
     */
    public NameRecords lookup(SandboxScope scope, String name) {
        return lookupKey(scope, DnsNames.key(name));
    }

    /** As {@link #lookup}, for a name already made a key by {@link DnsNames#key}. */
    NameRecords lookupKey(SandboxScope scope, String key) {
        List<String> attached = scope.networks();
        for (int i = 0; i < attached.size(); i++) {
            Map<String, NameRecords> names = networks.get(attached.get(i));
            if (names != null) {
                NameRecords records = names.get(key);
                if (records != null) {
                    return records;
                }
            }
        }
        return null;
    }

    /** Ids of the networks this table has records for. */
    public Set<String> networks() {
        return networks.keySet();
    }

    /** How many names {@code network} holds (service, tasks., container, alias, PTR and SRV names). */
    public int size(String network) {
        Map<String, NameRecords> names = networks.get(network);
        return names == null ? 0 : names.size();
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("RecordTable[");
        networks.forEach((network, names) -> text.append(network).append('=').append(names.size()).append(" names "));
        return text.append(']').toString();
    }

    /**
     * Collects a table network by network. Not thread-safe; {@link #build} validates and copies, so
     * the builder may be reused or dropped afterwards. Adding the same name twice in one network
     * merges the records (an alias equal to a service name answers both addresses).
     */
    public static final class Builder {

        private final Map<String, Map<String, Draft>> networks = new LinkedHashMap<>();
        private final Map<String, Map<String, Ipv4Address>> vips = new HashMap<>();
        private final Map<String, Set<String>> dnsrr = new HashMap<>();

        private Builder() {
        }

        /** A service in endpoint mode vip: {@code service} answers {@code vip}; {@code vip} has a PTR to it. */
        public Builder vipService(String network, String service, Ipv4Address vip) {
            Objects.requireNonNull(vip, "vip");
            declare(network, service);
            vips.computeIfAbsent(network, n -> new HashMap<>()).put(DnsNames.key(service), vip);
            draft(network, service).addresses.add(vip);
            draft(network, "tasks." + service);
            draft(network, DnsNames.reverseKey(vip)).pointers.add(service);
            return this;
        }

        /**
         * A service in endpoint mode dnsrr: {@code service} answers all its running tasks' IPs. Both
         * service forms know {@code tasks.<service>} from the start: no running task is NODATA.
         */
        public Builder dnsrrService(String network, String service) {
            declare(network, service);
            dnsrr.computeIfAbsent(network, n -> new HashSet<>()).add(DnsNames.key(service));
            draft(network, service);
            draft(network, "tasks." + service);
            return this;
        }

        /**
         * A running task of {@code service} (declared first on this network): adds {@code ip} to
         * {@code tasks.<service>} (and to {@code <service>} under dnsrr), names the container, and
         * gives {@code ip} a PTR to {@code containerName}.
         */
        public Builder task(String network, String service, String containerName, Ipv4Address ip) {
            Objects.requireNonNull(ip, "ip");
            String serviceKey = DnsNames.key(DnsNames.validate(service));
            boolean isVip = vips.getOrDefault(network, Map.of()).containsKey(serviceKey);
            boolean isDnsrr = dnsrr.getOrDefault(network, Set.of()).contains(serviceKey);
            if (!isVip && !isDnsrr) {
                throw new IllegalArgumentException("task " + containerName + " names service '" + service
                        + "', which is not declared on network " + network);
            }
            draft(network, "tasks." + service).addresses.add(ip);
            if (isDnsrr) {
                draft(network, service).addresses.add(ip);
            }
            return container(network, containerName, ip);
        }

        /** A container name (of a task, or of a standalone container on an attachable network). */
        public Builder container(String network, String containerName, Ipv4Address ip) {
            Objects.requireNonNull(ip, "ip");
            draft(network, containerName).addresses.add(ip);
            draft(network, DnsNames.reverseKey(ip)).pointers.add(containerName);
            return this;
        }

        /** A network alias: {@code alias} answers {@code ip} on this network only. */
        public Builder alias(String network, String alias, Ipv4Address ip) {
            Objects.requireNonNull(ip, "ip");
            draft(network, alias).addresses.add(ip);
            return this;
        }

        /**
         * A published port of {@code service}: {@code _<port>._<protocol>.<service>} answers SRV
         * (target {@code service}, {@code port}).
         *
         * @param protocol {@code tcp} or {@code udp}
         */
        public Builder publishedPort(String network, String service, int port, String protocol) {
            String proto = DnsNames.key(Objects.requireNonNull(protocol, "protocol"));
            if (!proto.equals("tcp") && !proto.equals("udp")) {
                throw new IllegalArgumentException("SRV protocol must be tcp or udp, not '" + protocol + "'");
            }
            SrvTarget target = new SrvTarget(service, port);
            draft(network, "_" + port + "._" + proto + "." + service).services.add(target);
            return this;
        }

        public RecordTable build() {
            Map<String, Map<String, NameRecords>> built = new HashMap<>();
            networks.forEach((network, drafts) -> {
                Map<String, NameRecords> names = new HashMap<>(drafts.size() * 2);
                drafts.forEach((key, draft) -> names.put(key, draft.toRecords()));
                built.put(network, Map.copyOf(names));
            });
            return new RecordTable(Map.copyOf(built));
        }

        private void declare(String network, String service) {
            String key = DnsNames.key(DnsNames.validate(service));
            if (vips.getOrDefault(network, Map.of()).containsKey(key) || dnsrr.getOrDefault(network, Set.of()).contains(key)) {
                throw new IllegalArgumentException("service '" + service + "' declared twice on network " + network);
            }
        }

        private Draft draft(String network, String name) {
            Objects.requireNonNull(network, "network");
            if (network.isEmpty()) {
                throw new IllegalArgumentException("network id must not be empty");
            }
            String key = DnsNames.key(DnsNames.validate(name));
            return networks.computeIfAbsent(network, n -> new LinkedHashMap<>()).computeIfAbsent(key, k -> new Draft());
        }
    }

    /** One name's records while building; sets keep the first-added order and drop duplicates. */
    private static final class Draft {
        final Set<Ipv4Address> addresses = new LinkedHashSet<>();
        final Set<String> pointers = new LinkedHashSet<>();
        final List<SrvTarget> services = new ArrayList<>();

        NameRecords toRecords() {
            return new NameRecords(List.copyOf(addresses), List.copyOf(pointers), List.copyOf(services));
        }
    }
}
