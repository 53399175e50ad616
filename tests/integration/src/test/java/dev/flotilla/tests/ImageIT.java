package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** `image import` of a directory and of a tarball, `image ls`, and a service whose image is missing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ImageIT {
    private static final String IMAGE_ID = "sha256:[0-9a-f]{64}";

    private TestNode node;

    @BeforeAll
    void startManager() {
        node = TestNode.start(getClass().getSimpleName());
        node.initSwarm();
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void importsADirectoryAndListsIt() {
        Cli imported = node.ok("image", "import", "web", node.webroot().toString(), "--change", TestNode.webCmdChange());
        String id = imported.stdout().strip();
        assertThat(id).as(node.context(imported)).matches(IMAGE_ID);

        Cli ls = node.ok("image", "ls");
        assertThat(ls.table()).as(node.context(ls)).anySatisfy(row -> {
            assertThat(row.get("REPOSITORY")).isEqualTo("web");
            assertThat(row.get("TAG")).isEqualTo("latest");
            assertThat(row.get("IMAGE ID")).isEqualTo(id.substring(7, 19));
            assertThat(row.get("SIZE")).matches("[0-9.]+(B|kB|MB|GB)");
        });
    }

    @Test
    void importsATarballThatRunsAsAService() {
        Path tarball = node.dir().resolve("web.tar");
        Processes.ok(Duration.ofSeconds(60), "tar", "-C", node.webroot().toString(), "-cf", tarball.toString(), ".");
        Cli imported = node.ok("image", "import", "webtar:v1", tarball.toString(), "--change", TestNode.webCmdChange());
        String id = imported.stdout().strip();
        assertThat(id).as(node.context(imported)).matches(IMAGE_ID);

        Cli ls = node.ok("image", "ls");
        assertThat(ls.table()).as(node.context(ls)).anySatisfy(row -> {
            assertThat(row.get("REPOSITORY")).isEqualTo("webtar");
            assertThat(row.get("TAG")).isEqualTo("v1");
            assertThat(row.get("IMAGE ID")).isEqualTo(id.substring(7, 19));
        });

        // The imported rootfs and its CMD work: a task of it answers through the mesh.
        Cli create = node.ok("service", "create", "--name", "fromtar", "-p", "8081:80", "webtar:v1");
        assertThat(create.stdout()).as(node.context(create)).contains("verify: Service converged");
        assertThat(node.hello(8081)).matches("[0-9a-f]{12}");
        node.ok("service", "rm", "fromtar");
    }

    @Test
    void serviceWithAMissingImageIsRejectedWithTheReason() {
        Cli create = node.ok("service", "create", "--name", "broken", "-d", "nope");
        assertThat(create.stdout().strip()).as(node.context(create)).matches("[0-9a-z]{25}");

        Cli ps = node.until(Duration.ofSeconds(60), "a Rejected task of broken in `service ps`",
                cli -> cli.ok() && cli.table().stream().anyMatch(r -> r.get("CURRENT STATE").startsWith("Rejected")),
                "service", "ps", "broken", "--no-trunc");
        assertThat(ps.table()).as(node.context(ps))
                .filteredOn(r -> r.get("CURRENT STATE").startsWith("Rejected"))
                .allSatisfy(row -> {
                    assertThat(row.get("NAME")).matches("(\\\\_ )?broken\\.1");
                    assertThat(row.get("IMAGE")).isEqualTo("nope:latest");
                    // Not on the node, so pulled: docker.io's answer, or as here why it could not be asked.
                    assertThat(row.get("ERROR")).matches("\"nope:latest: .+\"");
                });

        Cli ls = node.ok("service", "ls");
        assertThat(ls.table()).as(node.context(ls))
                .filteredOn(r -> r.get("NAME").equals("broken"))
                .singleElement().satisfies(row -> assertThat(row.get("REPLICAS")).isEqualTo("0/1"));
        node.ok("service", "rm", "broken");
    }

    @Test
    void createWithAMissingImageStopsWaitingAfterThreeRejectionsAndSaysWhy() {
        Cli create = node.cli("service", "create", "--name", "hopeless", "--replicas", "2", "--restart-delay", "1s", "nope:1");

        assertThat(create.exitCode()).as(node.context(create)).isEqualTo(1);
        assertThat(create.stdout()).as(node.context(create)).contains("1/2: nope:1: ");
        assertThat(create.stderr()).as(node.context(create))
                .startsWith("image nope:1 could not be accessed on a registry to record\n")
                .contains("\nservice hopeless did not converge: every task was rejected 3 times; "
                        + "the last error: nope:1: ");
        Cli ps = node.ok("service", "ps", "hopeless");
        assertThat(ps.table()).as(node.context(ps)).filteredOn(r -> r.get("CURRENT STATE").startsWith("Rejected"))
                .extracting(r -> r.get("NAME").replace("\\_ ", "")).filteredOn("hopeless.1"::equals).hasSizeGreaterThanOrEqualTo(3);
        assertThat(node.ok("service", "ls").stdout()).as("the service stays, as Docker leaves it").contains("hopeless");
        node.ok("service", "rm", "hopeless");
    }
}
