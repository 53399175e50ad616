package dev.flotilla.manager.raft;

import dev.flotilla.cluster.ca.DataKey;
import java.io.IOException;

/**
 * What this member writes to the Raft log and its snapshots: store records sealed with the
 * swarm's {@link DataKey}. Records an older build wrote in plain protobuf are still read; with no
 * key (a manager of such a build's swarm) records are written plain.
 */
final class RecordSeal {

    static final RecordSeal PLAIN = new RecordSeal(null);

    private final DataKey key;

    private RecordSeal(DataKey key) {
        this.key = key;
    }

    static RecordSeal of(DataKey key) {
        return key == null ? PLAIN : new RecordSeal(key);
    }

    java.util.Optional<DataKey> key() {
        return java.util.Optional.ofNullable(key);
    }

    byte[] seal(byte[] plain) {
        return key == null ? plain : key.seal(plain);
    }

    byte[] open(byte[] stored) throws IOException {
        if (!DataKey.isSealed(stored)) {
            return stored;
        }
        if (key == null) {
            throw new IOException("the record is sealed and this manager has no data key");
        }
        try {
            return key.open(stored);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
