package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Configs on two nodes with real runc tasks: `config create/ls/inspect/rm` (inspect shows the
 * data), a task reading its configs at `/<name>` and at a given target with its mode, read-only and
 * not on tmpfs, `--config-add/--config-rm`, a config in use kept, Docker's size limit. The tests
 * share one cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConfigIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    private static final String APP_CONF = "listen 8080;\nworkers 4;\n";

    private TestCluster cluster;
    private TestNode manager;
    private TestNode worker;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 2, "1s");
        manager = cluster.node(1);
        worker = cluster.node(2);
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Path file(String name, byte[] content) {
        try {
            return Files.write(manager.dir().resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @Order(1)
    void configsAreCreatedListedAndInspectedWithTheirData() {
        String id = manager.ok("config", "create", "-l", "tier=web", "app_conf",
                file("app.conf", APP_CONF.getBytes(StandardCharsets.UTF_8)).toString()).stdout().strip();
        assertThat(id).matches("[a-z0-9]{25}");
        manager.cliWithInput(file("motd", "welcome\n".getBytes(StandardCharsets.UTF_8)), "config", "create", "motd", "-");

        Cli ls = manager.ok("config", "ls");
        assertThat(ls.stdout().lines().findFirst().orElse("")).containsSubsequence("ID", "NAME", "CREATED", "UPDATED")
                .doesNotContain("DRIVER");
        assertThat(ls.table()).extracting(r -> r.get("NAME")).containsExactly("app_conf", "motd");
        assertThat(manager.ok("config", "inspect", "--pretty", "app_conf").stdout())
                .startsWith("ID:\t\t\t" + id + "\nName:\t\t\tapp_conf\nLabels:\n - tier=web\nCreated at:")
                .endsWith("Data:\n" + APP_CONF + "\n");
        assertThat(manager.ok("config", "inspect", "app_conf").stdout()).contains("\"Data\" : \""
                + java.util.Base64.getEncoder().encodeToString(APP_CONF.getBytes(StandardCharsets.UTF_8)) + "\"");

        Cli big = manager.cli("config", "create", "big", file("big", new byte[1024_000]).toString());
        assertThat(big.exitCode()).isNotZero();
        assertThat(big.stderr()).contains("config data must be larger than 0 and less than 1024000 bytes");
        Cli twice = manager.cli("config", "create", "motd", file("motd2", "x".getBytes(StandardCharsets.UTF_8)).toString());
        assertThat(twice.stderr()).contains("config motd already exists");
    }

    @Test
    @Order(2)
    void aTaskReadsItsConfigsAsReadOnlyFilesAtTheirTargets() {
        manager.ok("service", "create", "--name", "app", "--constraint", "node.role==worker", "--config", "motd",
                "--config", "source=app_conf,target=/etc/app/app.conf,mode=0440", "web");

        String container = container(worker, "app");
        assertThat(worker.ok("exec", container, "cat", "/motd").stdout()).isEqualTo("welcome\n");
        assertThat(worker.ok("exec", container, "cat", "/etc/app/app.conf").stdout()).isEqualTo(APP_CONF);
        assertThat(worker.ok("exec", container, "stat", "-c", "%a", "/motd", "/etc/app/app.conf").stdout().lines().toList())
                .containsExactly("444", "440");
        String mount = worker.ok("exec", container, "cat", "/proc/mounts").stdout().lines()
                .filter(l -> l.contains(" /etc/app/app.conf ")).findFirst().orElseThrow();
        assertThat(mount).as("read-only, and not on tmpfs as a secret is").doesNotStartWith("tmpfs ").contains(" ro,");
        assertThat(manager.ok("service", "inspect", "--pretty", "app").stdout())
                .contains("Configs:\n Target:\tmotd\n  Source:\tmotd\n Target:\t/etc/app/app.conf\n  Source:\tapp_conf\n");
    }

    @Test
    @Order(3)
    void aConfigInUseIsKeptAndAnUpdateRemovesIt() {
        Cli inUse = manager.cli("config", "rm", "motd");
        assertThat(inUse.exitCode()).isNotZero();
        assertThat(inUse.stderr()).contains("config 'motd' is in use by the following service: app");

        manager.ok("service", "update", "--config-rm", "motd", "app");
        manager.await(CONVERGE, () -> !worker.cli("exec", container(worker, "app"), "ls", "/motd").ok(),
                manager.context("the updated task without /motd"));
        assertThat(manager.ok("config", "rm", "motd").stdout().strip()).isEqualTo("motd");
        Cli missing = manager.cli("service", "update", "--config-add", "motd", "app");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("config not found: motd");
        assertThat(manager.ok("config", "ls", "-q").stdout().lines().count()).isEqualTo(1);
    }

    private static String container(TestNode node, String service) {
        return node.until(CONVERGE, "a running container of " + service, ps -> ps.ok() && ps.table().stream()
                .anyMatch(r -> r.get("NAMES").startsWith(service + ".")), "ps").table().stream()
                .map(r -> r.get("NAMES")).filter(n -> n.startsWith(service + ".")).findFirst().orElseThrow();
    }
}
