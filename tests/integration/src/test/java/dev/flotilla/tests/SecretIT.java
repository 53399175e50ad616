package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
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
 * Seed 3.3.3.5's secrets on three nodes (two managers, one of them promoted, and a worker) with
 * real runc tasks: `secret create/ls/inspect/rm`, a MySQL-style task that reads its password from
 * the file `*_FILE` names, the file on a read-only tmpfs with its owner and mode, the value in no
 * log, API answer or Raft directory, on no node without such a task, and gone from the node when
 * the task stops. The tests share one cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SecretIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    /** What the tests look for on disk and in logs: unique, so a hit is this value and nothing else. */
    private static final String PASSWORD = "pw-" + UUID.randomUUID();
    private static final String API_KEY = "key-" + UUID.randomUUID();
    /** A task that consumes its password as MySQL's image does: from the file $MYSQL_ROOT_PASSWORD_FILE names. */
    private static final String MYSQL_LIKE = "pw=\"$(cat \"$MYSQL_ROOT_PASSWORD_FILE\")\" || exit 1; mkdir -p /www; "
            + "echo \"root password of ${#pw} characters read from $MYSQL_ROOT_PASSWORD_FILE\" > /www/index.html; "
            + "trap \"exit 0\" TERM; httpd -f -p 80 -h /www & wait";

    private TestCluster cluster;
    private TestNode manager;
    private TestNode promoted;
    private TestNode worker;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s");
        manager = cluster.node(1);
        promoted = cluster.node(2);
        worker = cluster.node(3);
        for (TestNode n : cluster.nodes()) {
            n.importWebImage("web");
        }
        // The promoted manager gets the swarm's data key from the first one; the secrets come after.
        manager.ok("node", "promote", promoted.hostname());
        manager.until(CONVERGE, promoted.hostname() + " Reachable", c -> c.ok() && c.table().stream().anyMatch(r ->
                r.get("HOSTNAME").equals(promoted.hostname()) && r.get("MANAGER STATUS").equals("Reachable")), "node", "ls");
        manager.ok("node", "update", "--label-add", "db=yes", promoted.hostname());
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
    void secretsAreCreatedFromAFileOrStdinAndListedAndInspectedWithoutTheirValue() {
        Cli created = manager.ok("secret", "create", "db_password", file("pw", PASSWORD.getBytes(StandardCharsets.UTF_8)).toString());
        String id = created.stdout().strip();
        assertThat(id).as(manager.context(created)).matches("[a-z0-9]{25}");
        Cli fromStdin = manager.cliWithInput(file("key", API_KEY.getBytes(StandardCharsets.UTF_8)),
                "secret", "create", "--label", "env=dev", "api_key", "-");
        assertThat(fromStdin.exitCode()).as(manager.context(fromStdin)).isZero();

        Cli ls = manager.ok("secret", "ls");
        assertThat(ls.stdout().lines().findFirst().orElse("")).containsSubsequence("ID", "NAME", "DRIVER", "CREATED", "UPDATED");
        assertThat(ls.table()).extracting(r -> r.get("NAME")).containsExactly("api_key", "db_password");
        assertThat(ls.table()).filteredOn(r -> r.get("NAME").equals("db_password")).singleElement()
                .satisfies(r -> assertThat(r.get("ID")).isEqualTo(id));
        // Any manager answers, the promoted one too.
        assertThat(promoted.ok("secret", "ls", "-q").stdout().lines().toList()).hasSize(2).contains(id);

        Cli inspect = manager.ok("secret", "inspect", "db_password");
        assertThat(inspect.stdout()).contains("\"ID\" : \"" + id + "\"", "\"Name\" : \"db_password\"")
                .doesNotContain(PASSWORD).doesNotContain("Data");
        assertThat(manager.ok("secret", "inspect", "--pretty", "api_key").stdout())
                .contains("Name:              api_key\nLabels:\n - env=dev\nDriver:            \nCreated at:        ")
                .doesNotContain(API_KEY);
    }

    @Test
    @Order(2)
    void badSecretsAreRefusedWithDockersWordsAndNothingIsMade() {
        Cli twice = manager.cli("secret", "create", "db_password", file("pw2", "other".getBytes(StandardCharsets.UTF_8)).toString());
        assertThat(twice.exitCode()).isNotZero();
        assertThat(twice.stderr()).contains("secret db_password already exists");

        Path empty = file("empty", new byte[0]);
        Cli none = manager.cli("secret", "create", "empty", empty.toString());
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.stderr()).contains("error reading from " + empty + ": data is empty");

        Cli big = manager.cli("secret", "create", "big", file("big", new byte[512_000]).toString());
        assertThat(big.exitCode()).isNotZero();
        assertThat(big.stderr()).contains("secret data must be larger than 0 and less than 512000 bytes");
        assertThat(manager.ok("secret", "create", "largest", file("largest", new byte[511_999]).toString()).stdout())
                .as("one byte under the limit is fine").isNotBlank();
        manager.ok("secret", "rm", "largest");

        Cli name = manager.cli("secret", "create", "-bad-", file("x", "x".getBytes(StandardCharsets.UTF_8)).toString());
        assertThat(name.exitCode()).isNotZero();
        Cli missing = manager.cli("secret", "inspect", "nope");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("secret nope not found");
        Cli ref = manager.cli("service", "create", "-d", "--name", "bad", "--secret", "nope", "web");
        assertThat(ref.exitCode()).isNotZero();
        assertThat(ref.stderr()).contains("secret not found: nope");
        Cli field = manager.cli("service", "create", "-d", "--name", "bad", "--secret", "source=db_password,owner=me", "web");
        assertThat(field.exitCode()).isNotZero();
        assertThat(field.stderr()).contains("invalid field in secret request: owner");
        Cli target = manager.cli("service", "create", "-d", "--name", "bad", "--secret", "source=db_password,target=x",
                "--secret", "source=api_key,target=x", "web");
        assertThat(target.exitCode()).isNotZero();
        assertThat(target.stderr()).contains("duplicate secret target for api_key not allowed");

        assertThat(manager.ok("secret", "ls", "-q").stdout().lines().count()).isEqualTo(2);
        assertThat(manager.ok("service", "ls").table()).noneMatch(r -> r.get("NAME").equals("bad"));
    }

    @Test
    @Order(3)
    void aMySqlStyleTaskReadsItsPasswordFromAReadOnlyInMemoryFile() {
        manager.ok("service", "create", "--name", "db", "--constraint", "node.labels.db==yes",
                "--secret", "source=db_password,target=mysql_root_password",
                "--secret", "source=api_key,target=/etc/app/key,uid=1000,gid=2000,mode=0400",
                "-e", "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/mysql_root_password", "web", "sh", "-c", MYSQL_LIKE);

        String container = container(promoted, "db");
        assertThat(promoted.ok("exec", container, "cat", "/www/index.html").stdout().strip())
                .isEqualTo("root password of " + PASSWORD.length() + " characters read from /run/secrets/mysql_root_password");
        assertThat(promoted.ok("exec", container, "cat", "/run/secrets/mysql_root_password").stdout()).isEqualTo(PASSWORD);
        assertThat(promoted.ok("exec", container, "cat", "/etc/app/key").stdout()).isEqualTo(API_KEY);
        assertThat(promoted.ok("exec", container, "stat", "-c", "%a %u %g", "/run/secrets/mysql_root_password",
                "/etc/app/key").stdout().lines().toList()).containsExactly("444 0 0", "400 1000 2000");
        List<String> mounts = promoted.ok("exec", container, "cat", "/proc/mounts").stdout().lines()
                .filter(l -> l.contains(" /run/secrets/mysql_root_password ") || l.contains(" /etc/app/key ")).toList();
        assertThat(mounts).as("each secret on a read-only tmpfs").hasSize(2)
                .allSatisfy(l -> assertThat(l).matches("tmpfs \\S+ tmpfs ro,.*"));
        Cli write = promoted.cli("exec", container, "sh", "-c", "echo x > /run/secrets/mysql_root_password");
        assertThat(write.exitCode()).as("the task cannot change its secret").isNotZero();

        Cli pretty = manager.ok("service", "inspect", "--pretty", "db");
        assertThat(pretty.stdout()).contains("Secrets:\n Target:\tmysql_root_password\n  Source:\tdb_password\n"
                + " Target:\t/etc/app/key\n  Source:\tapi_key\n");
        assertThat(manager.ok("service", "inspect", "db").stdout()).contains("\"SecretName\" : \"db_password\"", "\"Mode\" : 292")
                .doesNotContain(PASSWORD);
    }

    @Test
    @Order(4)
    void theValueIsInNoLogNoRaftDirectoryAndOnNoNodeWithoutSuchATask() {
        for (TestNode n : List.of(manager, promoted)) {
            Path raft = n.dataRoot().resolve("raft");
            assertThat(filesContaining(raft, "")).as(n.name() + " has a Raft log to scan").isNotEmpty();
            assertThat(filesContaining(n.dataRoot().resolve("raft"), PASSWORD)).as(n.name() + "'s Raft log and snapshots")
                    .isEmpty();
            assertThat(filesContaining(n.dataRoot().resolve("raft"), API_KEY)).isEmpty();
        }
        assertThat(filesContaining(manager.dataRoot(), PASSWORD)).as("the first manager runs no task of db").isEmpty();
        assertThat(filesContaining(worker.dataRoot(), PASSWORD)).as("the worker runs no task of db").isEmpty();
        for (TestNode n : cluster.nodes()) {
            assertThat(contains(n.logFile(), PASSWORD)).as(n.name() + "'s daemon log").isFalse();
            assertThat(contains(n.logFile(), API_KEY)).as(n.name() + "'s daemon log").isFalse();
        }
        for (String command : List.of("service ps --no-trunc db", "service inspect db", "secret inspect db_password")) {
            assertThat(manager.ok(command.split(" ")).stdout()).as(command).doesNotContain(PASSWORD);
        }
        // The promoted manager reads its sealed log back after a restart (with the key it was handed).
        promoted.terminateDaemon();
        promoted.startDaemon();
        promoted.until(CONVERGE, "the restarted manager answering with both secrets", c -> c.ok()
                && c.stdout().lines().count() == 2, "secret", "ls", "-q");
    }

    @Test
    @Order(5)
    void aSecretInUseIsNotRemovedAndTheValueLeavesTheNodeWithTheTask() {
        Cli inUse = manager.cli("secret", "rm", "db_password");
        assertThat(inUse.exitCode()).isNotZero();
        assertThat(inUse.stderr()).contains("secret 'db_password' is in use by the following service: db");

        manager.ok("service", "update", "--secret-rm", "api_key", "db");
        manager.await(CONVERGE, () -> {
            Cli ls = promoted.cli("exec", container(promoted, "db"), "ls", "/etc/app/key");
            return !ls.ok();
        }, manager.context("the updated task without /etc/app/key"));
        manager.ok("secret", "rm", "api_key");

        manager.ok("service", "rm", "db");
        manager.await(CONVERGE, () -> TestNode.mountsUnder(promoted.dataRoot()).stream().noneMatch(m -> m.endsWith("/secrets"))
                && filesContaining(promoted.dataRoot(), PASSWORD).isEmpty(),
                promoted.context("no secret left on " + promoted.name() + " once its task stopped"));
        assertThat(manager.ok("secret", "rm", "db_password").stdout().strip()).isEqualTo("db_password");
        assertThat(manager.ok("secret", "ls", "-q").stdout()).isEmpty();
    }

    /** The container of the running task of {@code service} on {@code node}. */
    private static String container(TestNode node, String service) {
        return node.until(CONVERGE, "a running container of " + service, ps -> ps.ok() && ps.table().stream()
                .anyMatch(r -> r.get("NAMES").startsWith(service + ".")), "ps").table().stream()
                .map(r -> r.get("NAMES")).filter(n -> n.startsWith(service + ".")).findFirst().orElseThrow();
    }

    /**
     * Files under {@code dir} holding {@code text}, not descending into other file systems (a task's
     * tmpfs or rootfs); a file or directory the daemon removes meanwhile (a task's bundle) is skipped.
     */
    private static List<Path> filesContaining(Path dir, String text) {
        if (!Files.exists(dir)) {
            return List.of();
        }
        List<String> mounts = TestNode.mountsUnder(dir);
        List<Path> found = new java.util.ArrayList<>();
        try {
            Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult preVisitDirectory(Path d, java.nio.file.attribute.BasicFileAttributes a) {
                    return mounts.stream().anyMatch(m -> d.startsWith(m))
                            ? java.nio.file.FileVisitResult.SKIP_SUBTREE : java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) {
                    if (a.isRegularFile() && contains(f, text)) {
                        found.add(f);
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    if (e instanceof java.nio.file.NoSuchFileException) {
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static boolean contains(Path file, String text) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return new String(bytes, StandardCharsets.ISO_8859_1).contains(text);
        } catch (IOException e) {
            // A file removed while walking holds nothing.
            return false;
        }
    }
}
