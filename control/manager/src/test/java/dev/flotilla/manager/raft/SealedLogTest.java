package dev.flotilla.manager.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.SecretSpec;
import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.testkit.Poll;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a manager writes to disk holds no secret in clear: neither the Raft log nor a snapshot. */
class SealedLogTest {

    private static final String VALUE = "value-" + UUID.randomUUID();

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private RaftNode start(UUID group, int port, MemoryStore store, DataKey key) throws IOException {
        RaftNode raft = RaftNode.start(dir, group, "m1", "127.0.0.1", port,
                List.of(RaftNode.peer("m1", "127.0.0.1:" + port)), List.of(), store, null, key);
        Poll.until(Duration.ofSeconds(30), raft::isLeader, "the one member to lead");
        return raft;
    }

    private List<Path> filesHolding(String text) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(p -> {
                try {
                    return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains(text);
                } catch (IOException e) {
                    return false;
                }
            }).toList();
        }
    }

    @Test
    void theLogAndSnapshotsAreSealedAndAManagerWithTheKeyReadsThemBack() throws Exception {
        DataKey key = DataKey.generate();
        UUID group = UUID.randomUUID();
        int port = freePort();
        MemoryStore store = new MemoryStore();
        RaftNode raft = start(group, port, store, key);
        Secret secret = Secret.newBuilder().setId("x1").setSpec(SecretSpec.newBuilder().setName("pw")
                .setData(ByteString.copyFromUtf8(VALUE))).build();
        try {
            assertThat(raft.commit(StoreTransaction.newBuilder().addActions(Actions.create(secret)).build()).getOk()).isTrue();
            raft.snapshotNow();
            assertThat(raft.commit(StoreTransaction.newBuilder().addActions(Actions.create(secret.toBuilder().setId("x2")
                    .setSpec(secret.getSpec().toBuilder().setName("pw2")).build())).build()).getOk()).isTrue();
        } finally {
            raft.close();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            assertThat(walk.anyMatch(p -> p.getFileName().toString().startsWith("snapshot."))).as("a snapshot was written")
                    .isTrue();
        }
        assertThat(filesHolding(VALUE)).isEmpty();
        assertThat(filesHolding("pw2")).as("no record in clear at all").isEmpty();

        MemoryStore restarted = new MemoryStore();
        RaftNode again = start(group, port, restarted, key);
        try {
            Poll.until(Duration.ofSeconds(30), () -> restarted.view().secrets().size() == 2, "both secrets replayed");
            assertThat(restarted.view().secret("x1").orElseThrow().getSpec().getData().toStringUtf8()).isEqualTo(VALUE);
        } finally {
            again.close();
        }
    }
}
