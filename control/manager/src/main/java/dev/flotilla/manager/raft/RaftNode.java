package dev.flotilla.manager.raft;

import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.cluster.store.NoQuorumException;
import dev.flotilla.cluster.store.MemoryStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.ca.NodeCertificate;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.retry.ExceptionDependentRetry;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
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
    /**
     * Writes try again every 100 ms (at another member when the answer names the leader) until
     * {@link #WRITE_TIMEOUT_SECONDS} after the first attempt.
     */
    static final RetryPolicy WRITE_RETRY = RequestTypeDependentRetryPolicy.newBuilder()
            .setRetryPolicy(RaftProtos.RaftClientRequestProto.TypeCase.WRITE,
                    RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
            .setTimeout(RaftProtos.RaftClientRequestProto.TypeCase.WRITE,
                    TimeDuration.valueOf(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            .build();

    private final RaftServer server;
    private final RaftProperties properties;
    private final Parameters parameters;
    private final RaftPeerId peerId;
    // Rebuilt when the group's configuration changes, so the client always knows every member.
    private volatile RaftClient client;
    private volatile Set<RaftPeer> clientPeers;

    private final RaftGroupId groupId;
    private final RecordSeal seal;
    private volatile long logEndAtStart = -1;

    private RaftNode(RaftServer server, RaftProperties properties, Parameters parameters, RaftPeerId peerId,
            RaftGroupId groupId, List<RaftPeer> clientPeers, RecordSeal seal) {
        this.seal = seal;
        this.server = server;
        this.properties = properties;
        this.parameters = parameters;
        this.peerId = peerId;
        this.groupId = groupId;
        this.clientPeers = Set.copyOf(clientPeers);
        this.client = newClient(clientPeers);
    }

    private RaftClient newClient(List<RaftPeer> peers) {
        return RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
                .setRetryPolicy(WRITE_RETRY).setRaftGroup(RaftGroup.valueOf(groupId, peers)).build();
    }

    /** The client, rebuilt first if members joined or left since it was made. */
    private RaftClient client() {
        List<RaftPeer> current = ratisMembers();
        if (!current.isEmpty() && !Set.copyOf(current).equals(clientPeers)) {
            synchronized (this) {
                if (!Set.copyOf(current).equals(clientPeers)) {
                    RaftClient old = client;
                    client = newClient(current);
                    clientPeers = Set.copyOf(current);
                    log.info("Raft members now {}", current.stream().map(p -> p.getId() + "@" + p.getAddress()).toList());
                    // Requests in flight on the old client finish or time out first (the write
                    // timeout, and the attempt that may start just before it).
                    CompletableFuture.delayedExecutor(WRITE_TIMEOUT_SECONDS + 5, TimeUnit.SECONDS).execute(() -> {
                        try {
                            old.close();
                        } catch (IOException e) {
                            log.debug("Old Raft client did not close: {}", e.toString());
                        }
                    });
                }
            }
        }
        return client;
    }

    /**
     * Starts (or restarts, recovering its log and snapshot) a Raft member in {@code dir}.
     *
     * @param groupId the cluster's Raft group, fixed at {@code swarm init}
     * @param peers   every manager as {@code id -> host:port}; this member is {@code selfId}
     */
    public static RaftNode start(Path dir, UUID groupId, String selfId, String bindHost, int port,
            List<Peer> peers, MemoryStore store) throws IOException {
        return start(dir, groupId, selfId, bindHost, port, peers, peers, store, null, DataKey.generate());
    }

    /**
     * @param serverPeers the group this member starts with when it has no log yet: every manager
     *                    for the first one, nobody for a manager that joins (it waits until the
     *                    leader adds it and streams it the log)
     * @param knownPeers  where its client first looks for the leader
     * @param tls         this member's node certificate, for mutual TLS between members, or null
     * @param dataKey     the swarm's key, which seals the log and snapshots; null only for a swarm an
     *                    older build made, whose managers have none (records are then written plain)
     */
    public static RaftNode start(Path dir, UUID groupId, String selfId, String bindHost, int port,
            List<Peer> serverPeerList, List<Peer> knownPeerList, MemoryStore store, NodeCertificate identity,
            DataKey dataKey) throws IOException {
        RecordSeal seal = RecordSeal.of(dataKey);
        List<RaftPeer> serverPeers = serverPeerList.stream().map(RaftNode::toRatis).toList();
        List<RaftPeer> knownPeers = knownPeerList.stream().map(RaftNode::toRatis).toList();
        GrpcTlsConfig tls = identity == null ? null
                : new GrpcTlsConfig(identity.key(), identity.certificate(), List.of(identity.rootCa()), true);
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

        Parameters parameters = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(parameters, tls);
        }
        RaftPeerId id = RaftPeerId.valueOf(selfId);
        RaftGroupId gid = RaftGroupId.valueOf(groupId);
        RaftServer server = RaftServer.newBuilder()
                .setServerId(id)
                .setGroup(RaftGroup.valueOf(gid, serverPeers))
                .setProperties(p)
                .setParameters(parameters)
                .setStateMachine(new ClusterStateMachine(store, seal))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        // A restarted member knows the current configuration from its log; prefer it.
        List<RaftPeer> current = new ArrayList<>(server.getDivision(gid).getRaftConf().getCurrentPeers());
        RaftNode node = new RaftNode(server, p, parameters, id, gid, current.isEmpty() ? knownPeers : current, seal);
        org.apache.ratis.server.protocol.TermIndex last = server.getDivision(gid).getRaftLog().getLastEntryTermIndex();
        node.logEndAtStart = last == null ? -1 : last.getIndex();
        return node;
    }

    /**
     * Waits until this member has applied every entry its log held when it started: a restarted
     * manager replays its log into the store, and must not answer from a half-built one.
     * Returns false if that did not happen in time (no quorum to commit the tail, say).
     */
    public boolean awaitReplay(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try {
                if (server.getDivision(groupId).getInfo().getLastAppliedIndex() >= logEndAtStart) {
                    return true;
                }
            } catch (IOException e) {
                return false;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /**
     * Adds a manager to the group (Ratis sets the new configuration once the member has caught
     * up with the log). Blocks until committed, or fails once: a change Raft refused (the member
     * made no progress) is never sent again behind the caller's back, so a later retry starts
     * from a group without it.
     */
    public void addMember(String id, String address) throws IOException {
        RaftClientReply reply = changeMembers(c -> c.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(List.of(toRatis(peer(id, address))))
                .setMode(SetConfigurationRequest.Mode.ADD)
                .build()));
        if (!reply.isSuccess()) {
            throw new IOException("the Raft group did not add " + id + ": " + reply.getException());
        }
    }

    /** Removes a manager from the group; blocks until committed, or fails once. */
    public void removeMember(String id) throws IOException {
        List<RaftPeer> rest = ratisMembers().stream().filter(m -> !m.getId().toString().equals(id)).toList();
        RaftClientReply reply = changeMembers(c -> c.admin().setConfiguration(rest));
        if (!reply.isSuccess()) {
            throw new IOException("the Raft group did not remove " + id + ": " + reply.getException());
        }
    }

    /**
     * How a membership change is retried. Ratis' default client policy repeats a refused
     * {@code setConfiguration} forever: a member that could not be reached was then added
     * whenever it became reachable, long after the promotion had been given up and the node made
     * a worker again. Here a change follows a moving leader and waits out another change in
     * progress for a few seconds, and is not repeated once Raft refused it.
     */
    static final RetryPolicy MEMBERSHIP_RETRY = ExceptionDependentRetry.newBuilder()
            .setDefaultPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(10, TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
            .setExceptionToPolicy(ReconfigurationTimeoutException.class, RetryPolicies.noRetry())
            .setExceptionToPolicy(SetConfigurationException.class, RetryPolicies.noRetry())
            .setExceptionToPolicy(ReconfigurationInProgressException.class,
                    RetryPolicies.retryUpToMaximumCountWithFixedSleep(10, TimeDuration.valueOf(500, TimeUnit.MILLISECONDS)))
            .setMaxAttempts(20)
            .build();

    private interface MembershipCall {
        RaftClientReply call(RaftClient client) throws IOException;
    }

    /** Runs one membership change on a client of its own, with {@link #MEMBERSHIP_RETRY}. */
    private RaftClientReply changeMembers(MembershipCall call) throws IOException {
        List<RaftPeer> peers = ratisMembers();
        try (RaftClient c = RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
                .setRetryPolicy(MEMBERSHIP_RETRY)
                .setRaftGroup(RaftGroup.valueOf(groupId, peers.isEmpty() ? List.copyOf(clientPeers) : peers)).build()) {
            return call.call(c);
        }
    }

    /** The members of the current configuration, as this member knows it. */
    public List<Peer> members() {
        return ratisMembers().stream().map(m -> new Peer(m.getId().toString(), m.getAddress())).toList();
    }

    private List<RaftPeer> ratisMembers() {
        try {
            return new ArrayList<>(server.getDivision(groupId).getRaftConf().getCurrentPeers());
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * On the leader: how long ago each follower last answered, by member id. Empty elsewhere.
     */
    public Map<String, Long> followerSilenceMs() {
        Map<String, Long> out = new HashMap<>();
        try {
            RoleInfoProto role = server.getDivision(groupId).getInfo().getRoleInfoProto();
            if (role.hasLeaderInfo()) {
                for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    out.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("No follower information: {}", e.toString());
        }
        return out;
    }

    /**
     * How long a member may go unheard before it counts as unreachable: the leader sends
     * heartbeats every ~150 ms (half the minimum election timeout), so a second is six missed in
     * a row; Docker's transport gives up on a peer after a few seconds.
     */
    public static final long UNREACHABLE_AFTER_MS = 1000;

    /** Whether a member is heard from, as this member can tell. */
    public enum Reachability { REACHABLE, UNREACHABLE, UNKNOWN }

    /** A member of the group's current configuration, as this member sees it now. */
    public record Member(String id, String address, boolean leader, Reachability reachability) {
    }

    /**
     * The group's members as this member sees them now. The leader knows when each follower
     * last answered it; a follower knows only the leader (heard from lately or not) and itself,
     * and reports the others {@link Reachability#UNKNOWN}; a member that knows no live leader
     * (quorum lost, or cut off) cannot reach the others and reports them unreachable.
     */
    public List<Member> memberView() {
        List<Member> out = new ArrayList<>();
        try {
            var info = server.getDivision(groupId).getInfo();
            RoleInfoProto role = info.getRoleInfoProto();
            Map<String, Long> silence = new HashMap<>();
            String leader = null;
            if (role.hasLeaderInfo()) {
                leader = peerId.toString();
                for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    silence.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
                }
            } else if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
                ServerRpcProto l = role.getFollowerInfo().getLeaderInfo();
                if (l.getLastRpcElapsedTimeMs() < UNREACHABLE_AFTER_MS && info.getLeaderId() != null) {
                    leader = l.getId().getId().toStringUtf8();
                    silence.put(leader, l.getLastRpcElapsedTimeMs());
                }
            }
            for (RaftPeer p : ratisMembers()) {
                String id = p.getId().toString();
                Reachability r;
                if (id.equals(peerId.toString())) {
                    r = Reachability.REACHABLE;
                } else if (silence.containsKey(id)) {
                    r = silence.get(id) < UNREACHABLE_AFTER_MS ? Reachability.REACHABLE : Reachability.UNREACHABLE;
                } else {
                    r = leader == null ? Reachability.UNREACHABLE : Reachability.UNKNOWN;
                }
                out.add(new Member(id, p.getAddress(), id.equals(leader), r));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("No Raft role information: {}", e.toString());
        }
        return out;
    }

    /** The leader's member id, if this member knows one. */
    public java.util.Optional<String> leaderId() {
        try {
            RaftPeerId leader = server.getDivision(groupId).getInfo().getLeaderId();
            return java.util.Optional.ofNullable(leader).map(RaftPeerId::toString);
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** A member of the group: its node id and the {@code host:port} of its Raft server. */
    public record Peer(String id, String address) {
    }

    public static Peer peer(String id, String address) {
        return new Peer(id, address);
    }

    private static RaftPeer toRatis(Peer p) {
        return RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build();
    }

    /**
     * Commits a transaction and returns what the state machine answered; blocks the calling thread.
     * Fails with {@link NoQuorumException} when no leader commits it within the write timeout (give
     * or take one request timeout).
     *
     * <p>Each write is a request stream of its own (Ratis' blocking API), not a place in the
     * client's ordered asynchronous stream. There, a request whose answer came later than the
     * request timeout (3 s: a stalled host) was sent again on the same stream after the server had
     * answered it; the server's window never processes a sequence number it has passed, so that
     * retry stayed at the window's head and held back the answer to every later write, for good.
     * Here a retry is a new stream, and the server's retry cache answers it with the first
     * attempt's result: the transaction is applied once. Callers wait for each write anyway, so
     * the ordered stream bought nothing.
     */
    public StoreResult commit(StoreTransaction tx) {
        RaftClientReply reply;
        try {
            reply = client().io().send(RatisMessages.toMessage(tx, seal));
        } catch (IOException e) {
            throw new NoQuorumException(e);
        }
        if (!reply.isSuccess()) {
            throw new NoQuorumException(reply.getException());
        }
        try {
            return RatisMessages.result(reply.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable answer of the state machine: " + e.getMessage(), e);
        }
    }

    /** Has this member snapshot its store now, whatever the threshold (tests; a backup before an upgrade). */
    void snapshotNow() throws IOException {
        RaftClientReply reply = client().getSnapshotManagementApi(peerId).create(true, TimeUnit.SECONDS.toMillis(WRITE_TIMEOUT_SECONDS));
        if (!reply.isSuccess()) {
            throw new IOException("the snapshot was not taken: " + reply.getException());
        }
    }

    /** The key this member seals the log with: what a manager being admitted needs; empty for an older swarm's. */
    public java.util.Optional<DataKey> dataKey() {
        return seal.key();
    }

    /** Whether this member currently leads its group. */
    public boolean isLeader() {
        try {
            return server.getDivision(groupId).getInfo().isLeader();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public UUID groupUuid() {
        return groupId.getUuid();
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
}
