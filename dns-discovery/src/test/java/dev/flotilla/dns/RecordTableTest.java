package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RecordTableTest {

    private final RecordTable table = RecordTable.builder()
            .vipService("front", "server", ip("10.0.0.2"))
            .task("front", "server", "server.1.abc", ip("10.0.0.3"))
            .task("front", "server", "server.2.def", ip("10.0.0.4"))
            .dnsrrService("front", "cache")
            .task("front", "cache", "cache.1.x", ip("10.0.0.9"))
            .alias("front", "web", ip("10.0.0.3"))
            .publishedPort("front", "server", 8080, "TCP")
            .vipService("back", "db", ip("10.1.0.2"))
            .vipService("back", "server", ip("10.1.0.7"))
            .build();

    @Test
    void servicesTasksContainersAliasesAndReverseNames() {
        SandboxScope front = SandboxScope.of("front");
        assertThat(table.lookup(front, "server").addresses()).containsExactly(ip("10.0.0.2"));
        assertThat(table.lookup(front, "tasks.server.").addresses()).containsExactly(ip("10.0.0.3"), ip("10.0.0.4"));
        assertThat(table.lookup(front, "cache").addresses()).containsExactly(ip("10.0.0.9"));
        assertThat(table.lookup(front, "server.1.abc").addresses()).containsExactly(ip("10.0.0.3"));
        assertThat(table.lookup(front, "web").addresses()).containsExactly(ip("10.0.0.3"));
        assertThat(table.lookup(front, "2.0.0.10.in-addr.arpa").pointers()).containsExactly("server");
        assertThat(table.lookup(front, "3.0.0.10.in-addr.arpa").pointers()).containsExactly("server.1.abc");
        assertThat(table.lookup(front, "_8080._tcp.server").services()).containsExactly(new SrvTarget("server", 8080));
    }

    @Test
    void namesAreCaseInsensitive() {
        assertThat(table.lookup(SandboxScope.of("front"), "TaSkS.SeRvEr.")).isNotNull();
    }

    @Test
    void scopeSeesOnlyItsNetworksAndTheFirstNetworkWins() {
        assertThat(table.lookup(SandboxScope.of("front"), "db")).isNull();
        assertThat(table.lookup(SandboxScope.of("front", "back"), "db").addresses()).containsExactly(ip("10.1.0.2"));
        assertThat(table.lookup(SandboxScope.of("back", "front"), "server").addresses()).containsExactly(ip("10.1.0.7"));
        assertThat(table.lookup(SandboxScope.of("front", "back"), "server").addresses()).containsExactly(ip("10.0.0.2"));
        assertThat(table.lookup(SandboxScope.of("elsewhere"), "server")).isNull();
    }

    @Test
    void rejectsWhatCouldNotBeAnswered() {
        assertThatThrownBy(() -> RecordTable.builder().task("n", "ghost", "ghost.1", ip("10.0.0.1")))
                .hasMessageContaining("not declared");
        assertThatThrownBy(() -> RecordTable.builder().alias("n", "bad name", ip("10.0.0.1")))
                .hasMessageContaining("bad name");
        assertThatThrownBy(() -> RecordTable.builder().publishedPort("n", "s", 80, "sctp"))
                .hasMessageContaining("tcp or udp");
        assertThatThrownBy(() -> SandboxScope.of()).hasMessageContaining("at least one");
    }
}
