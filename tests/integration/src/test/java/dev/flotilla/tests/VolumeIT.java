package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
 * Mounts on three nodes with real runc tasks: a named volume filled from the image, kept across a
 * task's replacement and refused to `volume rm` while mounted; `volume create/ls/inspect/rm`; a
 * bind mount whose source one node lacks (that node's daemon sees the directory empty, in a mount
 * namespace of its own), rejected there once with Docker's message and placed elsewhere; a tmpfs
 * with its size; `--mount-add/--mount-rm`; bad mounts refused at create. The tests share one
 * cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class VolumeIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);

    private TestCluster cluster;
    private TestNode manager;
    private TestNode worker;
    private TestNode lacking;
    private Path site;

    @BeforeAll
    void startCluster() throws IOException {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s");
        manager = cluster.node(1);
        worker = cluster.node(2);
        lacking = cluster.node(3);
        Path binds = Files.createDirectory(lacking.dir().resolve("binds"));
        site = Files.createDirectory(binds.resolve("site"));
        Files.writeString(site.resolve("index.html"), "from the node\n");
        lacking.terminateDaemon();
        lacking.hideFromDaemon(binds);
        lacking.startDaemon();
        manager.await(CONVERGE, () -> manager.ok("node", "ls").table().stream()
                .filter(r -> r.get("STATUS").equals("Ready")).count() == 3, manager.context("three Ready nodes"));
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aNamedVolumeIsFilledFromTheImageAndOutlivesItsTask() {
        manager.ok("service", "create", "--name", "keeper", "--constraint", "node.hostname==" + worker.hostname(),
                "--mount", "source=appetc,target=/etc,volume-label=app=keeper", "web");
        String first = container(worker, "keeper");
        assertThat(worker.ok("exec", first, "cat", "/etc/group").stdout()).as("copied from the image")
                .isEqualTo("root:x:0:\n");
        assertThat(worker.ok("exec", first, "cat", "/etc/hostname").stdout()).as("generated, on top of the volume")
                .isEqualTo(worker.ok("exec", first, "hostname").stdout());
        worker.ok("exec", first, "sh", "-c", "echo kept > /etc/note");

        Cli inUse = worker.cli("volume", "rm", "appetc");
        assertThat(inUse.exitCode()).isNotZero();
        assertThat(inUse.stderr()).contains("remove appetc: volume is in use - [");
        worker.ok("rm", "-f", first);
        String second = container(worker, "keeper", first);
        assertThat(worker.ok("exec", second, "cat", "/etc/note").stdout()).isEqualTo("kept\n");

        Cli ls = worker.ok("volume", "ls");
        assertThat(ls.stdout().lines().findFirst().orElse("")).containsSubsequence("DRIVER", "VOLUME NAME");
        assertThat(ls.table()).extracting(r -> r.get("VOLUME NAME")).containsExactly("appetc");
        assertThat(worker.ok("volume", "inspect", "appetc").stdout().replaceAll("\\s+", ""))
                .contains("\"Driver\":\"local\"", "\"Labels\":{\"app\":\"keeper\"}",
                        "\"Mountpoint\":\"" + worker.dataRoot().resolve("volumes/appetc/_data") + "\"",
                        "\"Scope\":\"local\"");
        assertThat(manager.ok("volume", "ls", "-q").stdout()).as("node-local: not on the manager").isEmpty();

        manager.ok("service", "rm", "keeper");
        worker.until(CONVERGE, "the volume free once the task is gone", rm -> rm.ok(), "volume", "rm", "appetc");
        assertThat(worker.ok("volume", "ls", "-q").stdout()).isEmpty();
    }

    @Test
    @Order(2)
    void volumesAreCreatedListedInspectedAndRemovedByName() {
        assertThat(manager.ok("volume", "create", "--label", "tier=db", "dbdata").stdout().strip()).isEqualTo("dbdata");
        assertThat(manager.ok("volume", "create").stdout().strip()).as("a random name").matches("[0-9a-f]{64}");
        assertThat(manager.ok("volume", "ls", "-q", "--filter", "label=tier=db").stdout().strip()).isEqualTo("dbdata");
        assertThat(manager.ok("volume", "ls", "-q", "--filter", "dangling=true").stdout().lines().count()).isEqualTo(2);

        Cli missing = manager.cli("volume", "inspect", "nosuch");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("get nosuch: no such volume");
        Cli badName = manager.cli("volume", "create", "a/b");
        assertThat(badName.exitCode()).isNotZero();
        assertThat(badName.stderr()).contains("\"a/b\" includes invalid characters for a local volume name");
        Cli plugin = manager.cli("volume", "create", "-d", "rexray", "x1");
        assertThat(plugin.exitCode()).isNotZero();
        assertThat(plugin.stderr()).contains("error looking up volume plugin rexray: plugin \"rexray\" not found");

        List<String> names = manager.ok("volume", "ls", "-q").stdout().lines().toList();
        Cli rm = manager.ok(java.util.stream.Stream.concat(java.util.stream.Stream.of("volume", "rm"), names.stream())
                .toArray(String[]::new));
        assertThat(rm.stdout().lines().toList()).containsExactlyInAnyOrderElementsOf(names);
        assertThat(manager.ok("volume", "ls", "-q").stdout()).isEmpty();
        assertThat(manager.cli("volume", "rm", "nosuch").exitCode()).isNotZero();
        manager.ok("volume", "rm", "-f", "nosuch");
    }

    @Test
    @Order(3)
    void aNodeWithoutTheBindSourceRejectsTheTaskOnceAndItRunsElsewhere() {
        manager.ok("service", "create", "-d", "--name", "site", "--replicas", "3",
                "--mount", "type=bind,source=" + site + ",target=/www,readonly", "web");

        String message = "invalid mount config for type \"bind\": bind source path does not exist: " + site;
        Cli ps = manager.until(CONVERGE, "three running tasks, none on " + lacking.hostname(), p -> {
            List<Table.Row> rows = p.table();
            return rows.stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")
                    && !r.get("NODE").equals(lacking.hostname())).count() == 3;
        }, "service", "ps", "--no-trunc", "site");
        assertThat(ps.table()).as(manager.context(ps)).filteredOn(r -> r.get("NODE").equals(lacking.hostname()))
                .singleElement().satisfies(r -> {
                    assertThat(r.get("CURRENT STATE")).startsWith("Rejected");
                    assertThat(r.get("ERROR")).isEqualTo("\"" + message + "\"");
                });
        String task = container(worker, "site");
        assertThat(worker.ok("exec", task, "wget", "-qO-", "http://127.0.0.1/index.html").stdout())
                .isEqualTo("from the node\n");
        assertThat(worker.cli("exec", task, "touch", "/www/x").exitCode()).as("read-only").isNotZero();
        assertThat(manager.ok("service", "inspect", "--pretty", "site").stdout())
                .contains("Mounts:\n Target:\t/www\n  Source:\t" + site + "\n  ReadOnly:\ttrue\n  Type:\t\tbind\n");
        manager.ok("service", "rm", "site");
    }

    @Test
    @Order(4)
    void aGlobalTaskOnANodeWithoutTheSourceStaysPendingAndSaysWhy() {
        manager.ok("service", "create", "-d", "--name", "everywhere", "--mode", "global",
                "--mount", "type=bind,source=" + site + ",target=/www", "web");

        Cli ps = manager.until(CONVERGE, "the task of " + lacking.hostname() + " pending with the reason", p ->
                p.table().stream().anyMatch(r -> r.get("CURRENT STATE").startsWith("Pending")
                        && r.get("ERROR").equals("\"no suitable node (bind source path does not exist on 1 node)\"")),
                "service", "ps", "--no-trunc", "everywhere");
        assertThat(ps.table()).as(manager.context(ps)).filteredOn(r -> r.get("CURRENT STATE").startsWith("Rejected"))
                .hasSize(1);
        manager.ok("service", "rm", "everywhere");
    }

    @Test
    @Order(5)
    void aTmpfsHasItsSizeAndMountAddAndRmChangeTheTasks() {
        manager.ok("service", "create", "--name", "cache", "--constraint", "node.hostname==" + worker.hostname(),
                "--mount", "type=tmpfs,target=/cache,tmpfs-size=16m,tmpfs-mode=1770", "web");
        String first = container(worker, "cache");
        assertThat(worker.ok("exec", first, "cat", "/proc/mounts").stdout())
                .containsPattern("tmpfs /cache tmpfs rw,nosuid,nodev,noexec,[^ ]*size=16384k,mode=1770");

        manager.ok("service", "update", "--mount-rm", "/cache", "--mount-add", "source=scratch,target=/scratch", "cache");
        String second = container(worker, "cache", first);
        String mounts = worker.ok("exec", second, "cat", "/proc/mounts").stdout();
        assertThat(mounts).doesNotContain(" /cache ").contains(" /scratch ");
        assertThat(manager.ok("service", "inspect", "cache").stdout().replaceAll("\\s+", ""))
                .contains("\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"scratch\",\"Target\":\"/scratch\"}]");
        manager.ok("service", "rm", "cache");
    }

    @Test
    @Order(6)
    void badMountsAreRefusedAtCreateInDockersWords() {
        assertRefused("invalid bind mount source, must be an absolute path: srv", "type=bind,source=srv,target=/srv");
        assertRefused("invalid mount target, must be an absolute path: data", "source=v1,target=data");
        assertRefused("invalid volume mount source, must not be an absolute path: /srv", "type=volume,source=/srv,target=/x");
        assertRefused("cannot mix 'volume-*' options with mount type 'bind'", "type=bind,source=/srv,target=/x,volume-nocopy");
        assertRefused("invalid field 'rw' must be a key=value pair", "target=/x,rw");
        Cli twice = manager.cli("service", "create", "-d", "--name", "bad", "--mount", "source=v1,target=/x",
                "--mount", "type=tmpfs,target=/x", "web");
        assertThat(twice.stderr()).contains("invalid duplicate mount point: /x");
        assertThat(manager.ok("service", "ls", "-q").stdout()).as("nothing half made").isEmpty();
    }

    private void assertRefused(String message, String mount) {
        Cli c = manager.cli("service", "create", "-d", "--name", "bad", "--mount", mount, "web");
        assertThat(c.exitCode()).as(manager.context(c)).isNotZero();
        assertThat(c.stderr()).contains(message);
    }

    private static String container(TestNode node, String service) {
        return container(node, service, null);
    }

    /** The name of a running container of {@code service} on {@code node} other than {@code not}. */
    private static String container(TestNode node, String service, String not) {
        java.util.function.Predicate<String> wanted = n -> n.startsWith(service + ".") && !n.equals(not);
        return node.until(CONVERGE, "a running container of " + service + (not == null ? "" : " but " + not),
                ps -> ps.ok() && ps.table().stream().anyMatch(r -> wanted.test(r.get("NAMES"))), "ps").table().stream()
                .map(r -> r.get("NAMES")).filter(wanted).findFirst().orElseThrow();
    }
}
