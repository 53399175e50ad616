package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** `swarm init`, join tokens, `node ls`, `network ls`, and what the CLI says before init or without a daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SwarmInitIT {
    private static final String NOT_A_MANAGER = "Error response from daemon: This node is not a swarm manager."
            + " Use \"flotilla swarm init\" or \"flotilla swarm join\" to connect this node to swarm and try again.";
    private static final Pattern INITIALIZED =
            Pattern.compile("Swarm initialized: current node \\(([0-9a-z]{25})\\) is now a manager\\.");
    private static final String TOKEN = "SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}";

    private TestNode node;
    /** What a user saw before `swarm init`, then `swarm init` itself: recorded once, in that order. */
    private List<Cli> beforeInit;
    private Cli init;

    @BeforeAll
    void startNode() {
        node = TestNode.start(getClass().getSimpleName());
        beforeInit = List.of(node.cli("node", "ls"), node.cli("service", "ls"),
                node.cli("swarm", "join-token", "worker"), node.cli("service", "create", "--name", "web", "web"));
        init = node.cli("swarm", "init", "--advertise-addr", node.address());
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void clusterCommandsBeforeInitAreRefusedWithDockersWording() {
        for (Cli cli : beforeInit) {
            assertThat(cli.exitCode()).as(node.context(cli)).isEqualTo(1);
            assertThat(cli.stderr().strip()).as(node.context(cli)).isEqualTo(NOT_A_MANAGER);
            assertThat(cli.stdout()).as(node.context(cli)).isBlank();
        }
    }

    @Test
    void initPrintsTheNodeIdAndTheJoinCommand() {
        assertThat(init.exitCode()).as(node.context(init)).isZero();
        assertThat(init.lines().get(0)).as(node.context(init)).matches(INITIALIZED);
        assertThat(init.stdout()).as(node.context(init))
                .containsPattern("(?m)^    flotilla swarm join --token " + TOKEN + " "
                        + Pattern.quote(node.address()) + ":2377$")
                .contains("To add a manager to this swarm, run 'flotilla swarm join-token manager'");
    }

    @Test
    void secondInitIsRefused() {
        Cli again = node.cli("swarm", "init");
        assertThat(again.exitCode()).as(node.context(again)).isEqualTo(1);
        assertThat(again.stderr().strip()).as(node.context(again))
                .startsWith("Error response from daemon: This node is already part of a swarm.")
                .doesNotContain("\n");
    }

    @Test
    void joinTokensPrintQuietlyAndRotate() {
        String initToken = tokenIn(init.stdout());
        String worker = node.ok("swarm", "join-token", "-q", "worker").stdout().strip();
        String manager = node.ok("swarm", "join-token", "-q", "manager").stdout().strip();
        assertThat(worker).as("join-token -q worker prints the token init printed").isEqualTo(initToken);
        assertThat(manager).matches(TOKEN).isNotEqualTo(worker);

        Cli command = node.ok("swarm", "join-token", "worker");
        assertThat(command.stdout()).as(node.context(command))
                .contains("To add a worker to this swarm, run the following command:")
                .contains("    flotilla swarm join --token " + worker + " " + node.address() + ":2377");

        Cli rotated = node.ok("swarm", "join-token", "-q", "--rotate", "worker");
        String newWorker = rotated.stdout().strip();
        assertThat(newWorker).as(node.context(rotated)).matches(TOKEN).isNotEqualTo(worker);
        assertThat(newWorker.substring(0, 59)).as("the CA digest part stays").isEqualTo(worker.substring(0, 59));
        assertThat(node.ok("swarm", "join-token", "-q", "worker").stdout().strip()).isEqualTo(newWorker);
        assertThat(node.ok("swarm", "join-token", "-q", "manager").stdout().strip())
                .as("rotating the worker token leaves the manager token").isEqualTo(manager);
    }

    @Test
    void nodeLsShowsThisNodeAsReadyLeader() {
        Matcher m = INITIALIZED.matcher(init.stdout());
        assertThat(m.find()).as(node.context(init)).isTrue();
        Cli ls = node.ok("node", "ls");
        assertThat(ls.table()).as(node.context(ls)).singleElement().satisfies(row -> {
            assertThat(row.get("ID")).isEqualTo(m.group(1) + " *");
            assertThat(row.get("HOSTNAME")).isNotBlank();
            assertThat(row.get("STATUS")).isEqualTo("Ready");
            assertThat(row.get("AVAILABILITY")).isEqualTo("Active");
            assertThat(row.get("MANAGER STATUS")).isEqualTo("Leader");
            assertThat(row.get("ENGINE VERSION")).isNotBlank();
        });
    }

    @Test
    void networkLsShowsTheIngressOverlay() {
        Cli ls = node.ok("network", "ls");
        assertThat(ls.table()).as(node.context(ls)).anySatisfy(row -> {
            assertThat(row.get("NETWORK ID")).matches("[0-9a-z]{12}");
            assertThat(row.get("NAME")).isEqualTo("ingress");
            assertThat(row.get("DRIVER")).isEqualTo("overlay");
            assertThat(row.get("SCOPE")).isEqualTo("swarm");
        });
    }

    @Test
    void withoutADaemonTheCliSaysItCannotConnect() {
        String host = "unix://" + node.dir().resolve("nobody-listens.sock");
        Cli cli = Processes.flotilla(host, Duration.ofSeconds(60), "service", "ls");
        assertThat(cli.exitCode()).as(cli.toString()).isNotZero();
        assertThat(cli.stderr().strip()).as(cli.toString()).isEqualTo(
                "Cannot connect to the Flotilla daemon at " + host + ". Is the flotilla daemon running?");
    }

    private static String tokenIn(String text) {
        Matcher m = Pattern.compile(TOKEN).matcher(text);
        assertThat(m.find()).as("a join token in:\n" + text).isTrue();
        return m.group();
    }
}
