package dev.flotilla.control.raft;

import dev.flotilla.control.api.v1.StoreResult;
import dev.flotilla.control.api.v1.StoreTransaction;
import dev.flotilla.control.store.MemoryStore;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This manager's Raft member (Apache Ratis over gRPC) and the client it writes through. Writes
 * go to the leader; reads are served from the local {@link MemoryStore}.
 */
public final class RaftNode implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);

    /** Swarm's Raft port. */
    public static final int DEFAULT_PORT = 2378;
    /** Election timeout range: Docker waits 10 one-second ticks; one machine's managers need far less. */
    static final TimeDuration ELECTION_TIMEOUT_MIN = TimeDuration.valueOf(300, TimeUnit.MILLISECONDS);
    static final TimeDuration ELECTION_TIMEOUT_MAX = TimeDuration.valueOf(600, TimeUnit.MILLISECONDS);
    /** swarmkit snapshots every 10000 entries. */
    static final long SNAPSHOT_EVERY = 10_000;
    /** How long a write may wait for a leader and a commit before it fails as "no quorum". */
    static final long WRITE_TIMEOUT_SECONDS = 10;

    private final RaftServer server;
    private final RaftClient client;
    private final RaftPeerId peerId;

    private RaftNode(RaftServer server, RaftClient client, RaftPeerId peerId) {
        this.server = server;
        this.client = client;
        this.peerId = peerId;
    }

    /**
     * Starts (or restarts, recovering its log and snapshot) a Raft member in {@code dir}.
     *
     * @param groupId the cluster's Raft group, fixed at {@code swarm init}
     * @param peers   every manager as {@code id -> host:port}; this member is {@code selfId}
     */
    public static RaftNode start(Path dir, UUID groupId, String selfId, String bindHost, int port,
            List<RaftPeer> peers, MemoryStore store) throws IOException {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
        RaftServerConfigKeys.setStorageDir(p, List.of(dir.toFile()));
        GrpcConfigKeys.Server.setHost(p, bindHost);
        GrpcConfigKeys.Server.setPort(p, port);
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, ELECTION_TIMEOUT_MIN);
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, ELECTION_TIMEOUT_MAX);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, SNAPSHOT_EVERY);
        log.info("Raft member {} on {}:{}, storage {}, election timeout {}-{}, snapshot every {} entries",
                selfId, bindHost, port, dir, ELECTION_TIMEOUT_MIN, ELECTION_TIMEOUT_MAX, SNAPSHOT_EVERY);

        RaftPeerId id = RaftPeerId.valueOf(selfId);
        RaftGroup group = RaftGroup.valueOf(RaftGroupId.valueOf(groupId), peers);
        RaftServer server = RaftServer.newBuilder()
                .setServerId(id)
                .setGroup(group)
                .setProperties(p)
                .setStateMachine(new ClusterStateMachine(store))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        RaftClient client = RaftClient.newBuilder().setProperties(p).setRaftGroup(group).build();
        return new RaftNode(server, client, id);
    }

    public static RaftPeer peer(String id, String address) {
        return RaftPeer.newBuilder().setId(id).setAddress(address).build();
    }

    /**
     * Commits a transaction and returns what the state machine answered. Fails with
     * {@link NoQuorumException} when no leader commits it within the write timeout.
     */
    public CompletableFuture<StoreResult> submit(StoreTransaction tx) {
        return client.async().send(RatisMessages.toMessage(tx))
                .orTimeout(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .handle((reply, error) -> {
                    if (error != null || reply == null || !reply.isSuccess()) {
                        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                        if (cause == null && reply != null) {
                            cause = reply.getException();
                        }
                        throw new NoQuorumException(cause);
                    }
                    try {
                        return RatisMessages.result(reply.getMessage());
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                });
    }

    /** Whether this member currently leads its group. */
    public boolean isLeader() {
        try {
            return server.getDivision(server.getGroupIds().iterator().next()).getInfo().isLeader();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public String peerId() {
        return peerId.toString();
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } finally {
            server.close();
        }
    }

    /** A write that no quorum of managers committed. */
    public static final class NoQuorumException extends RuntimeException {
        NoQuorumException(Throwable cause) {
            super("The swarm does not have a leader. It's possible that too few managers are online. "
                    + "Make sure more than half of the managers are online.", cause);
        }
    }
}
