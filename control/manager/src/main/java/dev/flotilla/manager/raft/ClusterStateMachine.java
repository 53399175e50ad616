package dev.flotilla.manager.raft;

import dev.flotilla.common.DurableFiles;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.cluster.store.MemoryStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies protobuf-encoded {@link StoreTransaction}s to the {@link MemoryStore} in log order and
 * snapshots the whole store to one file; both sealed with the swarm's data key. Apply does no I/O and is deterministic; a restarted
 * manager rebuilds its store from the latest snapshot plus the log after it.
 */
public final class ClusterStateMachine extends BaseStateMachine {

    private static final Logger log = LoggerFactory.getLogger(ClusterStateMachine.class);

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final MemoryStore store;
    private final RecordSeal seal;

    ClusterStateMachine(MemoryStore store, RecordSeal seal) {
        this.store = store;
        this.seal = seal;
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        loadLatestSnapshot();
    }

    @Override
    public void reinitialize() throws IOException {
        loadLatestSnapshot();
    }

    private void loadLatestSnapshot() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.getLatestSnapshot();
        if (snapshot == null) {
            return;
        }
        Path file = snapshot.getFile().getPath();
        store.restore(StoreSnapshot.parseFrom(seal.open(Files.readAllBytes(file))), snapshot.getIndex());
        setLastAppliedTermIndex(snapshot.getTermIndex());
        log.info("Store restored from snapshot {} (index {})", file.getFileName(), snapshot.getIndex());
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        Path file = storage.getSnapshotFile(last.getTerm(), last.getIndex()).toPath();
        StoreSnapshot snapshot = store.snapshot();
        DurableFiles.write(file, seal.seal(snapshot.toByteArray()));
        log.info("Store snapshot written at index {}", last.getIndex());
        return last.getIndex();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        StoreResult result;
        try {
            StoreTransaction tx = RatisMessages.transaction(entry.getStateMachineLogEntry().getLogData(), seal);
            result = store.apply(tx, index);
        } catch (IOException e) {
            result = StoreResult.newBuilder().setOk(false).setIndex(index)
                    .setConflict(dev.flotilla.api.raft.v1.StoreConflict.STORE_CONFLICT_INVALID)
                    .setError("unreadable store transaction: " + e.getMessage()).build();
            store.markApplied(index);
        }
        updateLastAppliedTermIndex(entry.getTerm(), index);
        return CompletableFuture.completedFuture(RatisMessages.toMessage(result));
    }
}
