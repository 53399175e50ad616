package dev.flotilla.vxlan;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.List;

/**
 * The VTEP's forwarding database: per VNI, the endpoint table the control plane set, as an
 * immutable {@link ForwardingTable}. There is no learning and no flooding: the FDB is a function of
 * the endpoint tables and changes only through {@link #setEndpoints} and {@link #remove}.
 *
 * <p>Reads ({@link #table}) are lock-free: one volatile read of a map that is never mutated after
 * publication. Writers copy the map under this object's monitor and publish the copy; the control
 * plane writes a few times a second at most, the data plane reads per packet.
 */
public final class ForwardingDb {

    private final int vtepPort;

    /** Copy-on-write: replaced whole under {@code this}, never mutated once published. */
    private volatile IntObjectMap<ForwardingTable> tables = new IntObjectHashMap<>();

    /** @param vtepPort the UDP port remote VTEPs listen on (4789 unless the cluster changed it) */
    public ForwardingDb(int vtepPort) {
        if (vtepPort < 1 || vtepPort > 65535) {
            throw new IllegalArgumentException("VXLAN UDP port " + vtepPort + " is outside 1..65535");
        }
        this.vtepPort = vtepPort;
    }

    /**
     * Replaces network {@code vni}'s endpoint table. Packets already being forwarded finish with
     * the old table; the next lookup sees the new one.
     *
     * @throws IllegalArgumentException if the VNI is not 24 bits or two endpoints share an address
     *     or MAC (the old table stays in place)
     */
    public void setEndpoints(int vni, List<Endpoint> endpoints) {
        ForwardingTable table = new ForwardingTable(vni, endpoints, vtepPort);
        synchronized (this) {
            IntObjectMap<ForwardingTable> next = new IntObjectHashMap<>(tables.size() + 1);
            next.putAll(tables);
            next.put(vni, table);
            tables = next;
        }
    }

    /** Forgets network {@code vni}; its frames then find no entry. Removing an unknown VNI does nothing. */
    public void remove(int vni) {
        synchronized (this) {
            if (!tables.containsKey(vni)) {
                return;
            }
            IntObjectMap<ForwardingTable> next = new IntObjectHashMap<>(tables.size());
            next.putAll(tables);
            next.remove(vni);
            tables = next;
        }
    }

    /** The current table of network {@code vni}, or {@code null} if none was set. Lock-free, no allocation. */
    public ForwardingTable table(int vni) {
        return tables.get(vni);
    }

    public int vtepPort() {
        return vtepPort;
    }
}
