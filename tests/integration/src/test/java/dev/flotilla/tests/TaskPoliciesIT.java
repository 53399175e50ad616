package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What a task's node does with it, with real runc tasks: the restart policy (condition none
 * leaves the slot empty, max attempts gives up after that many restarts with Docker's ERROR, the
 * max delay doubles the wait between consecutive failures) and the health check (a task is
 * Starting, out of the mesh, until healthy; an unhealthy one is failed, killed and replaced; the
 * image's HEALTHCHECK unless --no-healthcheck), and jobs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TaskPoliciesIT {
    private static final Duration SETTLE = Duration.ofSeconds(60);

    private TestNode node;

    @BeforeAll
    void startNode() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    /** Polls `service ps` for {@code forMs}: the slot must never get more than {@code tasks} tasks. */
    private void staysAt(String service, int tasks, Duration forTime) {
        Instant end = Instant.now().plus(forTime);
        while (Instant.now().isBefore(end)) {
            Cli ps = node.ok("service", "ps", service);
            assertThat(ps.table()).as(node.context(ps)).hasSizeLessThanOrEqualTo(tasks);
        }
    }

    @Test
    void conditionNoneLeavesTheSlotEmptyOnceTheTaskEnds() {
        node.ok("service", "create", "-d", "--name", "once", "--restart-condition", "none", "--restart-delay", "1s",
                "web", "sh", "-c", "exit 0");

        // The node reports the exit, then the orchestrator retires the task: two writes, in that order.
        node.until(SETTLE, "the task of `once` completes and is retired", c -> c.ok() && c.table().size() == 1
                && c.table().get(0).get("CURRENT STATE").startsWith("Complete")
                && c.table().get(0).get("DESIRED STATE").equals("Shutdown"), "service", "ps", "once");
        staysAt("once", 1, Duration.ofSeconds(4));
        assertThat(node.ok("service", "ls").table()).filteredOn(r -> r.get("NAME").equals("once"))
                .singleElement().satisfies(r -> assertThat(r.get("REPLICAS")).isEqualTo("0/1"));
        node.ok("service", "rm", "once");
    }

    @Test
    void maxAttemptsGivesUpAndTheDelayDoublesUpToTheMaxDelay() {
        node.ok("service", "create", "-d", "--name", "crash", "--restart-max-attempts", "2", "--restart-delay", "1s",
                "--restart-max-delay", "4s", "web", "sh", "-c", "exit 3");

        Cli ps = node.until(SETTLE, "three failed tasks of `crash`", c -> c.ok() && c.table().size() == 3
                && c.table().stream().allMatch(r -> r.get("CURRENT STATE").startsWith("Failed")),
                "service", "ps", "--no-trunc", "crash");
        assertThat(ps.table()).as(node.context(ps)).allSatisfy(r -> {
            assertThat(r.get("ERROR")).isEqualTo("\"task: non-zero exit (3)\"");
            assertThat(r.get("DESIRED STATE")).isEqualTo("Shutdown");
        });
        staysAt("crash", 3, Duration.ofSeconds(5));

        // The first restart waited 1 s, the second 2 s: each start follows the one before by more.
        List<Instant> started = new ArrayList<>();
        for (Table.Row r : ps.table()) {
            started.add(node.taskRunningSince(r.get("ID")));
        }
        started.sort(Comparator.naturalOrder());
        Duration first = Duration.between(started.get(0), started.get(1));
        Duration second = Duration.between(started.get(1), started.get(2));
        assertThat(first).as("starts %s", started).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(second).as("starts %s", started).isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isGreaterThan(first);

        Cli pretty = node.ok("service", "inspect", "--pretty", "crash");
        assertThat(pretty.stdout()).as(node.context(pretty))
                .contains(" Delay:         1s\n Max attempts:  2\n Max delay:     4s\n");
        node.ok("service", "rm", "crash");
    }

    @Test
    void aHealthCheckKeepsATaskOutOfTheMeshUntilHealthyAndAnUnhealthyOneIsReplaced() {
        Cli tooFast = node.cli("service", "create", "--name", "fast", "--health-cmd", "true", "--health-interval", "0.5ms", "web");
        assertThat(tooFast.exitCode()).isNotZero();
        assertThat(tooFast.stderr()).contains("Interval in Healthcheck cannot be less than 1ms");

        node.ok("service", "create", "-d", "--name", "checked", "-p", "8085:80", "--health-cmd", "test -f /tmp/ok",
                "--health-interval", "300ms", "--health-retries", "2", "--health-start-period", "2m", "web");
        Cli starting = node.until(SETTLE, "the task of `checked` Starting", c -> c.ok() && c.table().size() == 1
                && c.table().get(0).get("CURRENT STATE").startsWith("Starting"), "service", "ps", "--no-trunc", "checked");
        String firstTask = starting.table().get(0).get("ID");
        assertThat(node.curl("http://127.0.0.1:8085/").stdout()).as("a starting task gets no traffic").doesNotContain("Hello");

        Cli ps = node.until(SETTLE, "the container of `checked` up", c -> c.ok()
                && c.table().stream().anyMatch(r -> r.get("NAMES").startsWith("checked.")), "ps");
        String container = ps.table().stream().map(r -> r.get("NAMES"))
                .filter(n -> n.startsWith("checked.")).findFirst().orElseThrow();
        node.ok("exec", container, "touch", "/tmp/ok");
        node.until(SETTLE, "`checked` Running once healthy", c -> c.ok() && !c.table().isEmpty()
                && c.table().get(0).get("CURRENT STATE").startsWith("Running"),
                "service", "ps", "checked");
        node.await(SETTLE, () -> node.curl("http://127.0.0.1:8085/").stdout().contains("Hello"),
                () -> "the healthy task answers through the mesh");

        node.ok("exec", container, "rm", "/tmp/ok");
        Cli failed = node.until(SETTLE, "the unhealthy task failed and a new one started", c -> c.ok()
                && c.table().stream().anyMatch(r -> r.get("ID").equals(firstTask) && r.get("CURRENT STATE").startsWith("Failed"))
                && c.table().stream().anyMatch(r -> !r.get("ID").equals(firstTask) && r.get("DESIRED STATE").equals("Running")),
                "service", "ps", "--no-trunc", "checked");
        assertThat(failed.table()).as(node.context(failed)).filteredOn(r -> r.get("ID").equals(firstTask)).singleElement()
                .satisfies(r -> assertThat(r.get("ERROR")).isEqualTo("\"task: non-zero exit (137): dockerexec: unhealthy container\""));
        node.ok("service", "rm", "checked");
    }

    @Test
    void theImagesHealthcheckGatesATaskUnlessTheServiceTurnsItOff() {
        node.ok("image", "import", "checked:1", node.webroot().toString(), "--change", TestNode.webCmdChange(),
                "--change", "HEALTHCHECK --interval=300ms --start-period=60s --retries=2 CMD test -f /tmp/ready");
        node.ok("service", "create", "-d", "--name", "imgcheck", "checked:1", "sh", "-c",
                "sleep 4; touch /tmp/ready; exec sleep 1000");
        node.until(SETTLE, "the task Starting while the image's check fails", c -> c.ok() && !c.table().isEmpty()
                && c.table().get(0).get("CURRENT STATE").startsWith("Starting"), "service", "ps", "imgcheck");
        node.until(SETTLE, "Running once /tmp/ready exists", c -> c.ok() && !c.table().isEmpty()
                && c.table().get(0).get("CURRENT STATE").startsWith("Running"), "service", "ps", "imgcheck");

        node.ok("service", "create", "-d", "--name", "unchecked", "--no-healthcheck", "checked:1", "sh", "-c", "exec sleep 1000");
        Cli ps = node.until(SETTLE, "Running with the check off", c -> c.ok() && !c.table().isEmpty()
                && c.table().get(0).get("CURRENT STATE").startsWith("Running"), "service", "ps", "unchecked");
        assertThat(ps.table()).hasSize(1);
        node.ok("service", "rm", "imgcheck", "unchecked");
    }

    @Test
    void aReplicatedJobRunsEachCompletionOnceAndUpdateForceRunsItAgain() {
        Cli create = node.ok("service", "create", "--name", "batch", "--mode", "replicated-job", "--replicas", "5",
                "--max-concurrent", "2", "web", "sh", "-c", "sleep 0.5");
        assertThat(create.lines()).as(node.context(create)).contains("job progress: 5 out of 5 complete")
                .endsWith("job complete");
        assertThat(node.ok("service", "ls").table()).filteredOn(r -> r.get("NAME").equals("batch")).singleElement()
                .satisfies(r -> {
                    assertThat(r.get("MODE")).isEqualTo("replicated job");
                    assertThat(r.get("REPLICAS")).isEqualTo("0/2 (5/5 completed)");
                });
        Cli ps = node.ok("service", "ps", "batch");
        assertThat(ps.table()).as(node.context(ps)).hasSize(5).allSatisfy(r -> {
            assertThat(r.get("DESIRED STATE")).isEqualTo("Complete");
            assertThat(r.get("CURRENT STATE")).startsWith("Complete");
        }).extracting(r -> r.get("NAME")).containsExactlyInAnyOrder("batch.1", "batch.2", "batch.3", "batch.4", "batch.5");

        Cli again = node.ok("service", "update", "--force", "batch");
        assertThat(again.lines()).as(node.context(again)).endsWith("job complete");
        Cli rerun = node.ok("service", "ps", "batch");
        assertThat(rerun.table()).as("five new completions, the first five as history rows").hasSize(10)
                .filteredOn(r -> r.get("NAME").startsWith("\\_")).hasSize(5);

        Cli flags = node.cli("service", "update", "--update-parallelism", "2", "batch");
        assertThat(flags.exitCode()).isNotZero();
        assertThat(flags.stderr()).contains("update and rollback configuration is not supported for jobs");
        Cli concurrent = node.cli("service", "create", "--max-concurrent", "2", "web");
        assertThat(concurrent.exitCode()).isNotZero();
        assertThat(concurrent.stderr()).contains("max-concurrent can only be used with replicated-job mode");
    }

    @Test
    void aJobWhoseFailedTaskIsNotRestartedEndsWithAVerdict() {
        Cli create = node.cli("service", "create", "--name", "doomed", "--mode", "replicated-job",
                "--restart-condition", "none", "web", "sh", "-c", "exit 3");
        assertThat(create.exitCode()).as(node.context(create)).isEqualTo(1);
        assertThat(create.stderr()).contains("job doomed cannot complete: slot 1 failed and its restart policy gave up on it: "
                + "task: non-zero exit (3)");
        assertThat(node.ok("service", "ls").table()).filteredOn(r -> r.get("NAME").equals("doomed")).singleElement()
                .satisfies(r -> assertThat(r.get("REPLICAS")).isEqualTo("0/1 (0/1 completed)"));
    }
}
