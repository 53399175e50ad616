package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingDbTest {

    private static final Ipv4Address NODE_B = Ipv4Address.parse("198.18.0.2");
    private static final Ipv4Address T2 = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address T3 = Ipv4Address.parse("10.0.0.3");
    private static final Ipv4Address T4 = Ipv4Address.parse("10.0.0.4");

    @Test
    void resolvesByMacAndByIpToTheRemoteVtep() {
        ForwardingDb fdb = new ForwardingDb(4789);
        fdb.setEndpoints(4096, List.of(Endpoint.local(T2), Endpoint.remote(T3, NODE_B), Endpoint.remote(T4, NODE_B)));

        ForwardingTable table = fdb.table(4096);
        ForwardingTable.Entry t3 = table.byMac(MacAddress.fromIpv4(T3).value());
        assertThat(t3.endpoint().ip()).isEqualTo(T3);
        assertThat(t3.remote()).isEqualTo(new InetSocketAddress(NODE_B.toInetAddress(), 4789));
        assertThat(table.byIp(T4.value()).remote()).as("one address object per VTEP").isSameAs(t3.remote());
        assertThat(table.byIp(T2.value()).isLocal()).isTrue();
        assertThat(table.byIp(T2.value()).remote()).isNull();
        assertThat(table.byMac(0x0242_0a00_0009L)).isNull();
        assertThat(fdb.table(4097)).isNull();
    }

    @Test
    void replacingATableLeavesReadersOfTheOldSnapshotUndisturbed() {
        ForwardingDb fdb = new ForwardingDb(4789);
        fdb.setEndpoints(4096, List.of(Endpoint.remote(T3, NODE_B)));
        ForwardingTable before = fdb.table(4096);

        fdb.setEndpoints(4096, List.of(Endpoint.remote(T4, NODE_B)));
        fdb.setEndpoints(4097, List.of(Endpoint.remote(T3, NODE_B)));

        assertThat(before.byIp(T3.value())).isNotNull();
        assertThat(fdb.table(4096).byIp(T3.value())).isNull();
        assertThat(fdb.table(4096).byIp(T4.value())).isNotNull();
        fdb.remove(4096);
        assertThat(fdb.table(4096)).isNull();
        assertThat(fdb.table(4097).size()).isEqualTo(1);
        fdb.remove(4096); // idempotent
    }

    @Test
    void rejectsDuplicatesAndKeepsTheOldTable() {
        ForwardingDb fdb = new ForwardingDb(4789);
        fdb.setEndpoints(4096, List.of(Endpoint.remote(T3, NODE_B)));

        assertThatThrownBy(() -> fdb.setEndpoints(4096, List.of(Endpoint.remote(T3, NODE_B), Endpoint.local(T3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("share MAC");
        Endpoint sameIpOtherMac = new Endpoint(T3, MacAddress.parse("02:00:00:00:00:01"), NODE_B, false);
        assertThatThrownBy(() -> fdb.setEndpoints(4096, List.of(Endpoint.remote(T3, NODE_B), sameIpOtherMac)))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> fdb.setEndpoints(1 << 24, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Endpoint(T3, MacAddress.fromIpv4(T3), null, false))
                .hasMessageContaining("needs the VTEP address");
        assertThat(fdb.table(4096).byIp(T3.value())).isNotNull();
    }

    @Test
    void peerFilterAcceptsOnlyClusterNodes() {
        PeerFilter peers = new PeerFilter();
        assertThat(peers.accepts(NODE_B.toInetAddress())).isFalse();
        peers.setPeers(List.of(NODE_B));
        assertThat(peers.accepts(NODE_B.toInetAddress())).isTrue();
        assertThat(peers.accepts(Ipv4Address.parse("198.18.0.3").toInetAddress())).isFalse();
        assertThat(peers.accepts(null)).isFalse();
        assertThat(peers.peers()).containsExactly(NODE_B);
    }
}
