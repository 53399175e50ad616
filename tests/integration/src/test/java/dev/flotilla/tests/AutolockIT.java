package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * `swarm init --autolock` on two managers: a restarted manager serves nothing, with Docker's
 * sentence, until `swarm unlock` gives it the unlock key; a wrong key is refused; `swarm
 * unlock-key --rotate` reaches the other manager, whose old key then no longer opens it; `swarm
 * update --autolock=false` lets a manager restart unlocked. The tests share one swarm, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class AutolockIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    private static final Pattern KEY = Pattern.compile("SWMKEY-1-[A-Za-z0-9+/]{43}");
    private static final String LOCKED = "Swarm is encrypted and needs to be unlocked before it can be used. "
            + "Please use \"flotilla swarm unlock\" to unlock it.";

    private TestCluster cluster;
    private TestNode first;
    private TestNode second;
    private String unlockKey;

    @BeforeAll
    void startSwarm() {
        cluster = TestCluster.start(getClass().getSimpleName(), 2);
        first = cluster.node(1);
        second = cluster.node(2);
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String key(Cli cli) {
        Matcher m = KEY.matcher(cli.stdout());
        assertThat(m.find()).as("an unlock key in\n" + cli).isTrue();
        return m.group();
    }

    private static String dataKeyFile(TestNode n) {
        try {
            return Files.readString(n.dataRoot().resolve("swarm/data.key"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path keyFile(String name, String text) {
        try {
            return Files.writeString(first.dir().resolve(name), text + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void restart(TestNode n) {
        n.terminateDaemon();
        n.startDaemon();
    }

    private Cli unlock(TestNode n, String key) {
        return n.cliWithInput(keyFile("typed-key", key), "swarm", "unlock");
    }

    @Test
    @Order(1)
    void initWithAutolockPrintsTheUnlockKeyAndEveryManagerSealsItsDataKey() {
        Cli init = first.ok("swarm", "init", "--autolock", "--advertise-addr", first.address());
        unlockKey = key(init);
        assertThat(init.stdout()).contains("To unlock a swarm manager after it restarts, run the `flotilla swarm unlock`\n"
                + "command and provide the following key:\n\n    " + unlockKey + "\n\n"
                + "Remember to store this key in a password manager, since without it you\n"
                + "will not be able to restart the manager.\n");
        assertThat(first.ok("swarm", "unlock-key", "-q").stdout().strip()).isEqualTo(unlockKey);

        String token = first.ok("swarm", "join-token", "-q", "manager").stdout().strip();
        second.ok("swarm", "join", "--token", token, "--advertise-addr", second.address(), first.address() + ":2377");
        first.ok("network", "create", "-d", "overlay", "kept");

        for (TestNode n : cluster.nodes()) {
            assertThat(dataKeyFile(n)).as(n.name()).contains("BEGIN FLOTILLA LOCKED DATA KEY");
        }
    }

    @Test
    @Order(2)
    void aRestartedManagerIsLockedUntilItsUnlockKeyIsGiven() {
        restart(second);
        Cli ls = second.cli("node", "ls");
        assertThat(ls.exitCode()).isNotZero();
        assertThat(ls.stderr().strip()).isEqualTo("Error response from daemon: " + LOCKED);
        assertThat(second.ok("info").stdout()).contains("Swarm: locked");

        Cli wrong = unlock(second, "SWMKEY-1-" + "A".repeat(43));
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.stderr()).contains("swarm could not be unlocked: invalid key provided");
        Cli garbage = unlock(second, "not-a-key");
        assertThat(garbage.stderr()).contains("swarm could not be unlocked: invalid key provided");

        Cli right = unlock(second, unlockKey);
        assertThat(right.exitCode()).as(second.context(right)).isZero();
        assertThat(second.ok("network", "ls").table()).extracting(r -> r.get("NAME")).contains("kept");
        first.until(CONVERGE, "the unlocked manager back in the Raft group", c -> c.ok() && c.table().stream().anyMatch(r ->
                r.get("HOSTNAME").equals(second.hostname())
                        && List.of("Reachable", "Leader").contains(r.get("MANAGER STATUS"))), "node", "ls");
        Cli again = unlock(second, unlockKey);
        assertThat(again.stderr().strip()).isEqualTo("error: swarm is not locked");
    }

    @Test
    @Order(3)
    void aRotatedKeyReachesEveryManagerAndTheOldOneNoLongerUnlocks() {
        String sealedBefore = dataKeyFile(second);
        Cli rotated = first.ok("swarm", "unlock-key", "--rotate");
        assertThat(rotated.stdout()).startsWith("Successfully rotated manager unlock key.\nTo unlock a swarm manager");
        String fresh = key(rotated);
        assertThat(fresh).isNotEqualTo(unlockKey);
        assertThat(second.ok("swarm", "unlock-key", "-q").stdout().strip()).isEqualTo(fresh);
        second.await(CONVERGE, () -> !dataKeyFile(second).equals(sealedBefore),
                second.context("the second manager sealing its data key with the new unlock key"));

        restart(second);
        assertThat(unlock(second, unlockKey).stderr()).contains("swarm could not be unlocked: invalid key provided");
        Cli right = unlock(second, fresh);
        assertThat(right.exitCode()).as(second.context(right)).isZero();
        unlockKey = fresh;
    }

    @Test
    @Order(4)
    void withAutolockOffAManagerRestartsUnlocked() {
        assertThat(first.ok("swarm", "update", "--autolock=false").stdout()).isEqualTo("Swarm updated.\n");
        Cli none = first.cli("swarm", "unlock-key");
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.stderr().strip()).isEqualTo("no unlock key is set");
        second.await(CONVERGE, () -> dataKeyFile(second).contains("BEGIN FLOTILLA DATA KEY"),
                second.context("the second manager keeping its data key in clear"));

        restart(second);
        second.until(CONVERGE, "the restarted manager answering", c -> c.ok() && c.stdout().contains("kept"), "network", "ls");

        Cli on = first.ok("swarm", "update", "--autolock=true");
        assertThat(on.stdout()).startsWith("Swarm updated.\nTo unlock a swarm manager after it restarts");
        assertThat(key(on)).isNotEqualTo(unlockKey);
    }
}
