package dev.flotilla.manager.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.Node;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.testkit.Poll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write whose answer reaches the writer only after one Raft client request's timeout (3 s: a
 * stalled host, a long GC pause) is still answered, and the writes after it commit too. Before,
 * with Ratis' ordered asynchronous client, the timed-out request went again on the same stream
 * after the server had answered it; the server's window never processes a sequence number it has
 * passed, so that retry stayed at the window's head and held back every later answer: the manager
 * never wrote again (found by bench/rollout.sh, 300 task starts on 2 cores).
 *
 * <p>The member's client reaches its server through a relay that can hold the server's bytes back
 * for a while, as a stalled network or process would.
 */
@Timeout(120)
class RaftWriteTimeoutTest {

    /** Longer than Ratis' client request timeout (3 s). */
    private static final Duration STALL = Duration.ofSeconds(4);

    private final MemoryStore store = new MemoryStore();
    private RaftNode raft;
    private StallingRelay relay;

    @BeforeEach
    void start(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        relay = new StallingRelay(port);
        // The member's address, which its own client dials, is the relay's; its server listens on port.
        raft = RaftNode.start(dir, UUID.randomUUID(), "m1", "127.0.0.1", port,
                List.of(RaftNode.peer("m1", "127.0.0.1:" + relay.port())), store);
        Poll.until(Duration.ofSeconds(30), raft::isLeader, "the one member to lead");
    }

    @AfterEach
    void stop() throws IOException {
        try {
            raft.close();
        } finally {
            relay.close();
        }
    }

    private static StoreTransaction createNode(String id) {
        return StoreTransaction.newBuilder()
                .addActions(Actions.create(Node.newBuilder().setId(id).setMeta(Actions.meta(0)).build())).build();
    }

    @Test
    void anAnswerLateByMoreThanTheRequestTimeoutStillArrivesAndLaterWritesCommit() {
        assertThat(raft.commit(createNode("before")).getOk()).isTrue();

        relay.stallAnswers(STALL);
        long start = System.nanoTime();
        assertThat(raft.commit(createNode("late")).getOk()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the answer was held back").isGreaterThan(Duration.ofSeconds(3));

        for (int i = 0; i < 5; i++) {
            assertThat(raft.commit(createNode("after-" + i)).getOk()).as("write %d after the late one", i).isTrue();
        }
        assertThat(store.view().nodes()).containsOnlyKeys("before", "late", "after-0", "after-1", "after-2", "after-3",
                "after-4");
    }

    /** A loopback TCP relay to {@code 127.0.0.1:target} whose server-to-client direction can be held back. */
    private static final class StallingRelay implements AutoCloseable {

        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private volatile long stalledUntilNanos;

        StallingRelay(int target) throws IOException {
            this.target = target;
            start("relay-accept", this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        /** From now on, for {@code d}, nothing the server sends is passed on (it waits, in order). */
        void stallAnswers(Duration d) {
            stalledUntilNanos = System.nanoTime() + d.toNanos();
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(client);
                    sockets.add(server);
                    start("relay-up", () -> copy(client, server, false));
                    start("relay-down", () -> copy(server, client, true));
                }
            } catch (IOException closed) {
                // the relay was closed
            }
        }

        private void copy(Socket from, Socket to, boolean stallable) {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    while (stallable && System.nanoTime() < stalledUntilNanos) {
                        LockSupport.parkNanos(1_000_000);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // either side went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void start(String name, Runnable r) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.start();
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            sockets.forEach(StallingRelay::closeQuietly);
        }
    }
}
