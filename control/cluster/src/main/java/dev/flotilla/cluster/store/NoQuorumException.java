package dev.flotilla.cluster.store;

/** A write that no quorum of managers committed. */
public final class NoQuorumException extends RuntimeException {

    public NoQuorumException(Throwable cause) {
        super("The swarm does not have a leader. It's possible that too few managers are online. "
                + "Make sure more than half of the managers are online.", cause);
    }
}
