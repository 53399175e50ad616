package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
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
 * Images from real registries on three nodes: Debian's docker-registry in the underlay namespace,
 * over plain HTTP (a registry named by the daemons' --insecure-registry, and one that is not) and
 * over TLS with a private CA in the daemons' certs.d. Images are OCI layouts made with umoci from
 * the busybox web rootfs (two layers, the second adding a file and removing one) and pushed with
 * skopeo, gzip or zstd. No image is imported by hand: each node that gets a task pulls it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RegistryIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    private static final String WARNING = "could not be accessed on a registry to record";

    private Path dir;
    private TestCluster cluster;
    private TestNode manager;
    private TestRegistry insecure;
    private TestRegistry unlisted;
    private TestRegistry tls;
    private TestRegistry guarded;
    private Path certs;
    private Path layout;
    private String registry;

    @BeforeAll
    void start() throws IOException {
        dir = Files.createTempDirectory("ft-registry-");
        certs = dir.resolve("certs.d");
        Files.createDirectories(certs);
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s", c -> List.of(
                "--insecure-registry", c.gateway() + ":5000", "--registry-certs-dir", certs.toString()));
        manager = cluster.node(1);
        registry = cluster.gateway() + ":5000";
        insecure = TestRegistry.plain(cluster.underlay(), registry, dir.resolve("insecure"));
        unlisted = TestRegistry.plain(cluster.underlay(), cluster.gateway() + ":5002", dir.resolve("unlisted"));
        tls = TestRegistry.withTls(cluster.underlay(), cluster.gateway() + ":5443", dir.resolve("tls"));
        Files.createDirectories(certs.resolve(tls.address()));
        Files.copy(tls.caCertificate(), certs.resolve(tls.address()).resolve("ca.crt"));

        // v1: the web rootfs, then a layer adding /www/extra.txt and removing /etc/group (a whiteout).
        Path base = manager.webroot();
        Path v1 = copy(base, dir.resolve("v1"));
        Files.writeString(v1.resolve("www/extra.txt"), "v1\n");
        Files.delete(v1.resolve("etc/group"));
        Path v2 = copy(base, dir.resolve("v2"));
        Files.writeString(v2.resolve("www/v2.txt"), "v2\n");
        layout = dir.resolve("layout");
        List<String> cmd = List.of("sh", "-c", TestNode.webCmdChange().substring("CMD ".length()));
        TestRegistry.buildImage(layout, "v1", List.of(base, v1), cmd);
        TestRegistry.buildImage(layout, "v2", List.of(base, v2), cmd);
        insecure.push(layout, "v1", "team/web:1", "gzip");
    }

    private static Path copy(Path from, Path to) {
        Processes.ok(Duration.ofSeconds(60), "cp", "-a", from.toString(), to.toString());
        return to;
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {cluster, insecure, unlisted, tls, guarded}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (dir != null) {
            Processes.run(Duration.ofSeconds(60), "rm", "-rf", dir.toString());
        }
    }

    /** The running task of {@code service} on some node, as `node` and container name. */
    private record Running(TestNode node, String container) {
        Cli exec(String... command) {
            List<String> args = new java.util.ArrayList<>(List.of("exec", container));
            args.addAll(List.of(command));
            return node.cli(args.toArray(String[]::new));
        }
    }

    private List<Running> running(String service) {
        List<Table.Row> tasks = manager.ok("service", "ps", service).table().stream()
                .filter(r -> !r.get("NAME").startsWith("\\_") && r.get("CURRENT STATE").startsWith("Running")).toList();
        return tasks.stream().map(t -> {
            TestNode node = cluster.nodes().stream().filter(n -> n.hostname().equals(t.get("NODE"))).findFirst().orElseThrow();
            String container = node.ok("ps").table().stream().map(r -> r.get("NAMES"))
                    .filter(n -> n.startsWith(t.get("NAME") + ".")).findFirst()
                    .orElseThrow(() -> new AssertionError(node.context("no container of " + t.get("NAME")).get()));
            return new Running(node, container);
        }).toList();
    }

    private String inspectedImage(String service) {
        Cli inspect = manager.ok("service", "inspect", service);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"Image\" : \"([^\"]+)\"").matcher(inspect.stdout());
        assertThat(m.find()).as(manager.context(inspect)).isTrue();
        return m.group(1);
    }

    @Test
    @Order(1)
    void aServiceOfARegistryImageRunsOnEveryNodePinnedToItsDigest() {
        Cli create = manager.ok("service", "create", "--name", "reg", "--replicas", "3", "--replicas-max-per-node", "1",
                registry + "/team/web:1");
        assertThat(create.stderr()).as(manager.context(create)).doesNotContain(WARNING);
        assertThat(inspectedImage("reg")).isEqualTo(registry + "/team/web:1@" + insecure.digest("team/web:1"));
        assertThat(manager.ok("service", "ps", "reg").table()).extracting(r -> r.get("IMAGE")).containsOnly(registry + "/team/web:1");

        List<Running> tasks = running("reg");
        assertThat(tasks).extracting(r -> r.node().name()).hasSize(3).doesNotHaveDuplicates();
        for (Running task : tasks) {
            assertThat(task.node().ok("image", "ls").table()).as("pulled by " + task.node().name())
                    .anySatisfy(r -> {
                        assertThat(r.get("REPOSITORY")).isEqualTo(registry + "/team/web");
                        assertThat(r.get("TAG")).isEqualTo("1");
                    });
            assertThat(task.exec("cat", "/www/extra.txt").stdout()).isEqualTo("v1\n");
            assertThat(task.exec("test", "-e", "/etc/group").exitCode()).as("the second layer's whiteout").isNotZero();
            assertThat(task.exec("wget", "-q", "-O", "-", "http://127.0.0.1/").stdout()).contains("Hello, ");
        }
    }

    @Test
    @Order(2)
    void aMovedTagKeepsThePinnedDigestUntilTheImageIsNamedAgain() {
        String pinned = inspectedImage("reg");
        insecure.push(layout, "v2", "team/web:1", "gzip");
        String moved = insecure.digest("team/web:1");
        assertThat(pinned).doesNotEndWith(moved);

        manager.ok("service", "update", "--force", "reg");
        assertThat(inspectedImage("reg")).isEqualTo(pinned);
        assertThat(running("reg")).hasSize(3).allSatisfy(t ->
                assertThat(t.exec("cat", "/www/extra.txt").stdout()).isEqualTo("v1\n"));

        manager.ok("service", "update", "--image", registry + "/team/web:1", "reg");
        assertThat(inspectedImage("reg")).isEqualTo(registry + "/team/web:1@" + moved);
        assertThat(running("reg")).hasSize(3).allSatisfy(t -> {
            assertThat(t.exec("cat", "/www/v2.txt").stdout()).isEqualTo("v2\n");
            assertThat(t.exec("test", "-e", "/www/extra.txt").exitCode()).isNotZero();
        });
    }

    @Test
    @Order(3)
    void zstdLayersAndAPrivateCaWork() {
        insecure.push(layout, "v1", "team/webz:1", "zstd");
        manager.ok("service", "create", "--name", "zstd", registry + "/team/webz:1");
        assertThat(running("zstd")).singleElement().satisfies(t ->
                assertThat(t.exec("cat", "/www/extra.txt").stdout()).isEqualTo("v1\n"));

        tls.push(layout, "v1", "team/web:1", "gzip");
        Cli create = manager.ok("service", "create", "--name", "tls", tls.address() + "/team/web:1");
        assertThat(create.stderr()).as(manager.context(create)).doesNotContain(WARNING);
        assertThat(inspectedImage("tls")).endsWith("@" + tls.digest("team/web:1"));
        assertThat(running("tls")).singleElement().satisfies(t ->
                assertThat(t.exec("cat", "/www/extra.txt").stdout()).isEqualTo("v1\n"));
        manager.ok("service", "rm", "zstd", "tls");
    }

    private void rejectedWith(String service, String reason) {
        manager.until(CONVERGE, "a task of " + service + " rejected with \"" + reason + "\"", ps -> ps.ok()
                && ps.table().stream().anyMatch(r -> r.get("CURRENT STATE").startsWith("Rejected")
                && r.get("ERROR").contains(reason)), "service", "ps", "--no-trunc", service);
    }

    @Test
    @Order(4)
    void anImageThatCannotBeHadRejectsTheTaskWithTheRegistrysReason() {
        Cli missing = manager.ok("service", "create", "-d", "--name", "missing", registry + "/team/web:nope");
        assertThat(missing.stderr()).as(manager.context(missing)).contains("image " + registry + "/team/web:nope " + WARNING);
        rejectedWith("missing", "manifest unknown");

        unlisted.push(layout, "v1", "team/web:1", "gzip");
        manager.ok("service", "create", "-d", "--name", "https", unlisted.address() + "/team/web:1");
        rejectedWith("https", "server gave HTTP response to HTTPS client");

        manager.ok("service", "create", "-d", "--name", "down", cluster.gateway() + ":5999/team/web:1");
        rejectedWith("down", "connection refused");
        manager.ok("service", "rm", "missing", "https", "down");
    }

    @Test
    @Order(5)
    void imagesArePulledListedAndRemovedOnANode() {
        TestNode node = cluster.node(3);
        String reference = registry + "/team/web:1";
        Cli pull = node.ok("image", "pull", reference);
        assertThat(pull.lines()).as(node.context(pull)).containsExactly("Digest: " + insecure.digest("team/web:1"),
                "Status: Image is up to date for " + reference, reference);

        Cli refused = node.cli("image", "rm", reference);
        assertThat(refused.exitCode()).as(node.context(refused)).isNotZero();
        assertThat(refused.stderr()).contains("conflict: unable to remove repository reference \"" + reference + "\"")
                .contains("is using its referenced image");

        manager.ok("service", "rm", "reg");
        node.await(CONVERGE, () -> node.ok("ps", "-a").table().stream().noneMatch(r -> r.get("NAMES").startsWith("reg.")),
                node.context("no container of reg left"));
        Cli rm = node.ok("image", "rm", reference);
        assertThat(rm.lines()).as(node.context(rm)).contains("Untagged: " + reference)
                .anySatisfy(l -> assertThat(l).startsWith("Untagged: " + registry + "/team/web@sha256:"))
                .anySatisfy(l -> assertThat(l).startsWith("Deleted: sha256:"));
        assertThat(node.ok("image", "ls").table()).noneMatch(r -> r.get("REPOSITORY").equals(registry + "/team/web")
                && r.get("TAG").equals("1"));

        Cli again = node.ok("image", "pull", reference);
        assertThat(again.lines()).contains("Status: Downloaded newer image for " + reference);
        Cli unknown = node.cli("image", "pull", registry + "/team/nothing:1");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.stderr()).contains("Error response from daemon").contains("unknown");
    }

    /** `flotilla login` with the password on stdin and the docker CLI's config in {@code config}. */
    private Cli login(Path config, String server, String password) {
        return Processes.run(Duration.ofSeconds(60), "sh", "-c",
                "printf '%s\\n' \"$0\" | DOCKER_CONFIG=\"$1\" \"$2\" -H \"$3\" login -u alice --password-stdin \"$4\"",
                password, config.toString(), Processes.flotilla().toString(), manager.host(), server);
    }

    private Cli withConfig(Path config, TestNode node, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("env", "DOCKER_CONFIG=" + config,
                Processes.flotilla().toString(), "-H", node.host()));
        command.addAll(List.of(args));
        return Processes.run(Duration.ofSeconds(120), command);
    }

    @Test
    @Order(6)
    void aRegistryThatWantsAPasswordGetsTheOneOfLoginWithRegistryAuthAndNoOneSeesIt() throws IOException {
        String password = "s3cret-" + Long.toHexString(System.nanoTime());
        guarded = TestRegistry.withTlsAndPassword(cluster.underlay(), cluster.gateway() + ":5444", dir.resolve("guarded"),
                "alice", password);
        Files.createDirectories(certs.resolve(guarded.address()));
        Files.copy(guarded.caCertificate(), certs.resolve(guarded.address()).resolve("ca.crt"));
        guarded.push(layout, "v1", "team/web:1", "gzip");
        String image = guarded.address() + "/team/web:1";

        Cli anonymous = manager.ok("service", "create", "-d", "--name", "anon", image);
        assertThat(anonymous.stderr()).as(manager.context(anonymous)).contains(WARNING);
        rejectedWith("anon", "unauthorized");

        Path config = dir.resolve("docker-config");
        Cli wrong = login(config, guarded.address(), "not-" + password);
        assertThat(wrong.exitCode()).as(wrong.toString()).isNotZero();
        assertThat(wrong.stderr()).contains("login attempt to " + guarded.address() + " failed");
        assertThat(config.resolve("config.json")).as("nothing kept after a refused login").doesNotExist();

        Cli right = login(config, guarded.address(), password);
        assertThat(right.stdout().strip()).as(right.toString()).isEqualTo("Login Succeeded");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(config.resolve("config.json")))).isEqualTo("rw-------");
        assertThat(Files.readString(config.resolve("config.json"))).contains("\"" + guarded.address() + "\"");

        Cli create = withConfig(config, manager, "service", "create", "--with-registry-auth", "--name", "private", image);
        assertThat(create.exitCode()).as(create.toString()).isZero();
        assertThat(create.stderr()).doesNotContain(WARNING);
        assertThat(inspectedImage("private")).isEqualTo(image + "@" + guarded.digest("team/web:1"));
        assertThat(running("private")).singleElement().satisfies(t ->
                assertThat(t.exec("cat", "/www/extra.txt").stdout()).isEqualTo("v1\n"));
        String token = java.util.Base64.getEncoder().encodeToString(("alice:" + password).getBytes(
                java.nio.charset.StandardCharsets.UTF_8));
        for (String[] args : List.of(new String[] {"service", "inspect", "private"},
                new String[] {"service", "inspect", "--pretty", "private"}, new String[] {"service", "ps", "private"})) {
            assertThat(manager.ok(args).stdout()).as(String.join(" ", args)).doesNotContain(password).doesNotContain(token);
        }
        for (TestNode n : cluster.nodes()) {
            assertThat(Files.readString(n.dir().resolve("daemon.log"))).as(n.name() + "'s log")
                    .doesNotContain(password).doesNotContain(token);
        }

        Cli pull = withConfig(config, cluster.node(2), "image", "pull", image);
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        assertThat(withConfig(config, manager, "logout", guarded.address()).stdout().strip())
                .isEqualTo("Removing login credentials for " + guarded.address());
        manager.ok("service", "rm", "anon", "private");
    }
}
