package dev.flotilla.dns;

import static dev.flotilla.dns.DnsTestSupport.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.dataplane.link.ExecResult;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.dns.LocalServers.Dnsmasq;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.NoLeaksExtension;
import dev.flotilla.testkit.Root;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real thing: listeners on 127.0.0.11:53 inside fresh network namespaces (no route out, only
 * lo), asked by dig. Needs root, iproute2 and dig; skipped otherwise. Namespaces are removed even
 * when a test fails.
 */
@Timeout(120)
@ExtendWith(NoLeaksExtension.class)
class SandboxDnsListenersTest {

    private static final Duration DIG_TIMEOUT = Duration.ofSeconds(15);

    private final NamespaceLab lab = new NamespaceLab("ft-dns");
    private EventLoopGroup group;
    private EmbeddedDnsServer server;
    private SandboxDnsListeners listeners;
    private Dnsmasq upstream;
    private int sandboxes;

    @BeforeEach
    void setUp() throws Exception {
        Root.assume("ip", "dig");
        group = new MultiThreadIoEventLoopGroup(2, EpollIo.newFactory());
        // The upstream lives on the host's loopback, which a sandbox cannot reach: forwarding must
        // happen from the daemon's namespace.
        upstream = LocalServers.dnsmasqAvailable() ? new Dnsmasq("/upstream.test/192.0.2.7") : null;
        server = EmbeddedDnsServer.start(DnsServerOptions.defaults().withUpstreamTimeout(Duration.ofSeconds(1)), group,
                upstream == null ? List.of() : List.of(upstream.address()));
        server.publish(RecordTable.builder()
                .vipService("front", "server", ip("10.0.0.2"))
                .task("front", "server", "server.1.abc", ip("10.0.0.3"))
                .vipService("back", "db", ip("10.1.0.2"))
                .build());
        listeners = new SandboxDnsListeners(server, group);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (listeners != null) {
            listeners.close();
        }
        lab.close();
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private String sandbox() {
        return lab.namespace("sandbox" + ++sandboxes);
    }

    private static String dig(String ns, String... args) {
        List<String> argv = new ArrayList<>(List.of("dig", "@127.0.0.11", "+time=2", "+tries=1"));
        argv.addAll(List.of(args));
        ExecResult result = NetnsExec.in(ns).run(argv, null, DIG_TIMEOUT);
        assertThat(result.exitCode()).as("dig %s: %s", argv, result.stdout()).isZero();
        return result.stdout();
    }

    @Test
    void digInsideTheSandboxGetsScopedAnswers() {
        String ns = sandbox();
        listeners.open(ns, SandboxScope.of("front"));
        assertThat(NetnsExec.in(ns).run("ip", "route", "show", "table", "local").stdout())
                .as("lo up routes all of 127/8 locally").contains("local 127.0.0.0/8 dev lo");

        assertThat(dig(ns, "+short", "server").trim()).isEqualTo("10.0.0.2");
        assertThat(dig(ns, "+short", "+tcp", "tasks.server").trim()).isEqualTo("10.0.0.3");
        assertThat(dig(ns, "+short", "-x", "10.0.0.2").trim()).isEqualTo("server.");
        assertThat(dig(ns, "+short", "-x", "10.0.0.3").trim()).isEqualTo("server.1.abc.");
        String aaaa = dig(ns, "AAAA", "server");
        assertThat(aaaa).contains("status: NOERROR").contains("ANSWER: 0");
        assertThat(dig(ns, "nosuch")).contains("status: NXDOMAIN");
        assertThat(dig(ns, "db")).as("db is on a network this sandbox is not attached to").contains("status: NXDOMAIN");
        if (upstream != null) {
            assertThat(dig(ns, "+short", "upstream.test").trim()).isEqualTo("192.0.2.7");
        }
    }

    @Test
    void sandboxesShareOneGroupButKeepTheirOwnScope() {
        String front = sandbox();
        String back = sandbox();
        listeners.open(front, SandboxScope.of("front"));
        listeners.open(back, SandboxScope.of("back"));
        assertThat(listeners.openNamespaces()).containsExactlyInAnyOrder(front, back);
        assertThat(dig(back, "+short", "db").trim()).isEqualTo("10.1.0.2");
        assertThat(dig(back, "server")).contains("status: NXDOMAIN");
        assertThatThrownBy(() -> listeners.open(front, SandboxScope.of("back"))).hasMessageContaining("already open");

        assertThat(listeners.close(front)).isTrue();
        ExecResult refused = NetnsExec.in(front).run(List.of("dig", "@127.0.0.11", "+time=1", "+tries=1", "server"), null,
                DIG_TIMEOUT);
        assertThat(refused.exitCode()).as("nothing listens after close").isNotZero();
        listeners.open(front, SandboxScope.of("front"));
        assertThat(dig(front, "+short", "server").trim()).isEqualTo("10.0.0.2");
    }
}
