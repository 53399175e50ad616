package dev.flotilla.vxlan;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.LongObjectHashMap;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of one network's endpoint table, indexed for the hot path: by MAC for
 * unicast forwarding, by IPv4 address for ARP suppression. Lookups take primitives and do not
 * allocate. Built by {@link ForwardingDb#setEndpoints}; safe to share between threads because every
 * field is final and the maps are never changed after the constructor.
 */
public final class ForwardingTable {

    /** A resolved endpoint: where frames for it go. */
    public static final class Entry {
        private final Endpoint endpoint;
        private final InetSocketAddress remote;

        Entry(Endpoint endpoint, InetSocketAddress remote) {
            this.endpoint = endpoint;
            this.remote = remote;
        }

        public Endpoint endpoint() {
            return endpoint;
        }

        /** The remote VTEP's UDP address, or {@code null} for a local endpoint. One instance per VTEP, reused per packet. */
        public InetSocketAddress remote() {
            return remote;
        }

        public boolean isLocal() {
            return endpoint.local();
        }
    }

    private final int vni;
    private final List<Endpoint> endpoints;
    private final LongObjectHashMap<Entry> byMac;
    private final IntObjectHashMap<Entry> byIp;

    /**
     * @throws IllegalArgumentException if two endpoints share an address or a MAC
     */
    ForwardingTable(int vni, List<Endpoint> endpoints, int vtepPort) {
        this.vni = VxlanHeader.checkVni(vni);
        this.endpoints = List.copyOf(endpoints);
        this.byMac = new LongObjectHashMap<>(Math.max(4, endpoints.size() * 2));
        this.byIp = new IntObjectHashMap<>(Math.max(4, endpoints.size() * 2));
        Map<Integer, InetSocketAddress> vteps = new HashMap<>();
        for (Endpoint endpoint : this.endpoints) {
            InetSocketAddress remote = endpoint.local() ? null : vteps.computeIfAbsent(endpoint.vtep().value(),
                    v -> new InetSocketAddress(endpoint.vtep().toInetAddress(), vtepPort));
            Entry entry = new Entry(endpoint, remote);
            Entry sameMac = byMac.put(endpoint.mac().value(), entry);
            if (sameMac != null) {
                throw new IllegalArgumentException("VNI " + vni + ": endpoints " + sameMac.endpoint.ip() + " and "
                        + endpoint.ip() + " share MAC " + endpoint.mac());
            }
            if (byIp.put(endpoint.ip().value(), entry) != null) {
                throw new IllegalArgumentException("VNI " + vni + ": address " + endpoint.ip() + " is listed twice");
            }
        }
    }

    public int vni() {
        return vni;
    }

    /** The endpoints as they were set, in order. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The entry for a MAC (low 48 bits), or {@code null}. */
    public Entry byMac(long mac) {
        return byMac.get(mac);
    }

    /** The entry for an IPv4 address (bits, most significant octet first), or {@code null}. */
    public Entry byIp(int ipv4) {
        return byIp.get(ipv4);
    }

    public int size() {
        return endpoints.size();
    }

    @Override
    public String toString() {
        return "ForwardingTable(vni=" + vni + ", " + endpoints.size() + " endpoints)";
    }
}
