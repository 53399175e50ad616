package dev.flotilla.daemon.membership;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.ca.UnlockKey;
import dev.flotilla.cluster.store.StoreView;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a manager's copy of the data key sealed as the swarm asks: with the unlock key while
 * autolock is on (again after every rotation), in clear otherwise. Follows the cluster object in
 * the replicated store, so `swarm update --autolock` and `swarm unlock-key --rotate` reach every
 * manager; writes on a thread of its own, never on the Raft apply path.
 */
final class KeyGuard implements Consumer<StoreView>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyGuard.class);

    private final MembershipFiles files;
    private final DataKey key;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fl-key-guard");
        t.setDaemon(true);
        return t;
    });
    // Only touched on the writer thread: the unlock key the file is sealed with ("" in clear), null before the first write.
    private String written;

    KeyGuard(MembershipFiles files, DataKey key) {
        this.files = files;
        this.key = key;
    }

    @Override
    public void accept(StoreView view) {
        if (writer.isShutdown()) {
            return;
        }
        view.cluster().ifPresent(c -> {
            String wanted = unlockKey(c);
            try {
                writer.execute(() -> write(wanted));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closed meanwhile: the manager stopped, its key file is no longer this guard's.
            }
        });
    }

    private void write(String wanted) {
        if (Objects.equals(wanted, written)) {
            return;
        }
        try {
            if (wanted.isEmpty()) {
                files.save(key);
                if (written != null) {
                    log.info("Autolock is off: this manager's data key is kept in clear");
                }
            } else {
                files.save(key, UnlockKey.parse(wanted));
                log.info("Autolock is on: this manager's data key is sealed with the unlock key");
            }
            written = wanted;
        } catch (IOException | RuntimeException e) {
            log.warn("Could not rewrite this manager's data key: {}", e.getMessage());
        }
    }

    /** Stops following the store; returns once a write under way is done, so the caller may delete the file. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("The data key writer did not finish within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String unlockKey(Cluster c) {
        return c.getAutolock() ? c.getUnlockKey() : "";
    }
}
