package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.ca.UnlockKey;
import dev.flotilla.cluster.ca.NodeCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node keeps its membership under the data root: {@code swarm/state.json} (its
 * {@link SwarmState}), {@code certificates/} (its key, certificate and the root CA),
 * {@code raft/} (a manager's Raft log and snapshots) and {@code swarm/data.key} (a manager's copy
 * of the key that seals that log, never inside it). The state file is written last and
 * atomically, so a node that has one has everything it names.
 */
final class MembershipFiles {

    private static final Logger log = LoggerFactory.getLogger(MembershipFiles.class);

    private final Path stateFile;
    private final Path raftDir;
    private final Path certDir;
    private final Path dataKeyFile;

    MembershipFiles(Path dataRoot) {
        this.stateFile = dataRoot.resolve("swarm").resolve("state.json");
        this.raftDir = dataRoot.resolve("raft");
        this.certDir = dataRoot.resolve("certificates");
        this.dataKeyFile = dataRoot.resolve("swarm").resolve("data.key");
    }

    /** The folder error messages name: the state file's. */
    Path where() {
        return stateFile.getParent();
    }

    Path raftDir() {
        return raftDir;
    }

    Path certDir() {
        return certDir;
    }

    /** The membership this node recorded, if any; a half-written state file is removed first. */
    Optional<SwarmState> load() throws IOException {
        return SwarmState.load(stateFile);
    }

    Optional<NodeCertificate> certificate() throws IOException {
        return NodeCertificate.load(certDir);
    }

    void save(SwarmState state) throws IOException {
        state.save(stateFile);
    }

    void save(NodeCertificate identity) throws IOException {
        identity.save(certDir);
    }

    /**
     * The swarm's data key, as this manager keeps it; empty on a worker (or a manager of an older
     * build's swarm).
     *
     * @throws DataKey.LockedException if it is sealed with the unlock key (autolock)
     */
    Optional<DataKey> dataKey() throws IOException {
        return DataKey.load(dataKeyFile);
    }

    /** The data key sealed with {@code unlock}; IllegalArgumentException ("invalid key") for another key. */
    Optional<DataKey> dataKey(UnlockKey unlock) throws IOException {
        return DataKey.load(dataKeyFile, unlock);
    }

    boolean dataKeyLocked() throws IOException {
        return DataKey.isLocked(dataKeyFile);
    }

    void save(DataKey key) throws IOException {
        key.save(dataKeyFile);
    }

    /** The data key sealed with {@code unlock} (autolock). */
    void save(DataKey key, UnlockKey unlock) throws IOException {
        key.save(dataKeyFile, unlock);
    }

    /** The data key as the swarm keeps it: sealed with {@code unlockKey}, or in clear if that is empty. */
    void save(DataKey key, String unlockKey) throws IOException {
        if (unlockKey.isEmpty()) {
            save(key);
        } else {
            save(key, UnlockKey.parse(unlockKey));
        }
    }

    /** Forgets the membership on disk: state, certificates, Raft log. */
    void erase() {
        try {
            Files.deleteIfExists(stateFile);
            NodeCertificate.delete(certDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the swarm state under " + where(), e);
        }
        deleteManagerState();
    }

    /** A manager's Raft log and data key, gone when it stops being one; best effort. */
    void deleteManagerState() {
        try {
            Files.deleteIfExists(dataKeyFile);
        } catch (IOException e) {
            log.warn("Cannot remove {}: {}", dataKeyFile, e.toString());
        }
        if (!Files.exists(raftDir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(raftDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("Cannot remove {}: {}", raftDir, e.toString());
        }
    }
}
