package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.agent.WorkerSession;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.cluster.ca.UnlockKey;
import dev.flotilla.cluster.rpc.Errors;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A restarted daemon goes back into the swarm it recorded, in the role it recorded. Runs inside {@link Membership#change}. */
final class Rejoin {

    private static final Logger log = LoggerFactory.getLogger(Rejoin.class);

    /** How long a restarted manager waits for its Raft log to be replayed into the store. */
    static final long REPLAY_WAIT_MS = 10_000;

    private final Membership membership;
    private final MembershipFiles files;

    Rejoin(Membership membership, MembershipFiles files) {
        this.membership = membership;
        this.files = files;
    }

    /** Rejoins the swarm this node was in before it stopped, if any. */
    void run() throws IOException {
        Optional<SwarmState> saved = files.load();
        if (saved.isEmpty()) {
            return;
        }
        SwarmState s = saved.get();
        membership.become(s);
        NodeCertificate identity = files.certificate().orElse(null);
        if (s.isWorker()) {
            if (identity == null) {
                throw new IOException("this worker's certificate is missing from " + files.certDir()
                        + ": leave the swarm (flotilla swarm leave) and join it again");
            }
            WorkerSession w = membership.startWorker(s, identity);
            membership.enter(w, s.nodeId());
        } else {
            if (identity == null) {
                throw new IOException("this manager's certificate is missing from " + files.certDir()
                        + ": leave the swarm (flotilla swarm leave --force) and init or join again");
            }
            if (files.dataKeyLocked()) {
                membership.lock(identity);
                log.warn("This manager is locked (autolock): it serves nothing until `flotilla swarm unlock` gives it "
                        + "the swarm's unlock key");
                return;
            }
            DataKey dataKey = files.dataKey().orElse(null);
            if (dataKey == null) {
                log.warn("This manager has no data key ({}): its Raft log stays in plain protobuf, as the build that "
                        + "made the swarm wrote it", files.where().resolve("data.key"));
            }
            startManager(s, identity, dataKey);
        }
        log.info("Rejoined swarm as {} node {} ({})", s.role(), s.nodeId(), s.advertiseAddr());
    }

    /**
     * A locked manager, given the unlock key, opens its data key and starts as {@link #run} would
     * have.
     *
     * @throws io.grpc.StatusRuntimeException with Docker's sentence for a wrong key or a node that is not locked
     */
    void unlock(String keyText) throws IOException {
        SwarmState s = membership.state().orElseThrow(() -> Errors.precondition("This node is not part of a swarm"));
        if (!membership.locked()) {
            throw Errors.precondition("swarm is not locked");
        }
        DataKey dataKey;
        try {
            dataKey = files.dataKey(UnlockKey.parse(keyText)).orElseThrow();
        } catch (IllegalArgumentException e) {
            throw Errors.invalid("swarm could not be unlocked: invalid key provided");
        }
        startManager(s, membership.identity().orElseThrow(), dataKey);
        log.info("Unlocked: manager node {} ({}) rejoined the swarm", s.nodeId(), s.advertiseAddr());
    }

    private void startManager(SwarmState s, NodeCertificate identity, DataKey dataKey) {
        ManagerStack m = membership.startManager(s, identity, ManagerStack.self(s), List.of(), dataKey);
        if (!m.raft().awaitReplay(REPLAY_WAIT_MS)) {
            log.warn("The Raft log was not replayed within {} s: answering from the store as it is", REPLAY_WAIT_MS / 1000);
        }
        membership.enter(m.manager(), s.nodeId());
        m.listen();
    }
}
