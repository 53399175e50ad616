package dev.flotilla.daemon.membership;

/**
 * Takes this node's membership apart here: its tasks stopped first (so their last status still
 * reaches the managers), then what it runs for the swarm, then what it recorded on disk.
 * Runs inside {@link Membership#change}.
 */
final class Teardown {

    private final Membership membership;
    private final MembershipFiles files;
    private final Runnable onLeave;

    /** @param onLeave stops this node's tasks, before its Raft member or session stops */
    Teardown(Membership membership, MembershipFiles files, Runnable onLeave) {
        this.membership = membership;
        this.files = files;
        this.onLeave = onLeave;
    }

    /** @param farewell what the node tells the swarm once its tasks are stopped, before it stops its parts */
    void run(Runnable farewell) {
        onLeave.run();
        farewell.run();
        membership.stopAll();
        files.erase();
    }

    /** Undoes a failed init or join: no Raft member, no log, no state file. */
    void abandon() {
        run(() -> { });
    }
}
