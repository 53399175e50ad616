package dev.flotilla.cluster.store;

import dev.flotilla.api.raft.v1.StoreConflict;

/** The store refused a transaction (an object changed since it was read, a name taken...). */
public final class StoreConflictException extends RuntimeException {

    private final StoreConflict conflict;

    public StoreConflictException(StoreConflict conflict, String message) {
        super(message);
        this.conflict = conflict;
    }

    /** Which rule refused it. */
    public StoreConflict conflict() {
        return conflict;
    }
}
