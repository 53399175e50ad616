package dev.flotilla.agent;

import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.dns.EmbeddedDnsServer;
import dev.flotilla.dns.RecordTable;
import dev.flotilla.dns.SandboxDnsListeners;
import dev.flotilla.dns.SandboxScope;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's embedded DNS, driven from the store: the agent publishes a new record table on
 * every pass ({@link #update}), and each task on a user-defined network gets its 127.0.0.11:53
 * listeners in its sandbox from creation ({@link #openSandbox}, before the container starts) to
 * removal ({@link #closeSandbox}, before the namespace goes). Thread-safe: passes run on the
 * agent's loop, sandboxes open and close on task threads.
 */
public final class ServiceDiscovery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServiceDiscovery.class);

    private final EmbeddedDnsServer server;
    private final SandboxDnsListeners listeners;
    private volatile RecordTable published = RecordTable.EMPTY;

    /** @param server and {@code listeners} stay the caller's, as do their event loop groups */
    public ServiceDiscovery(EmbeddedDnsServer server, SandboxDnsListeners listeners) {
        this.server = Objects.requireNonNull(server, "server");
        this.listeners = Objects.requireNonNull(listeners, "listeners");
    }

    /** Publishes the records of {@code view}; an unchanged store still builds, the swap is one write. */
    public void update(StoreView view) {
        RecordTable next = DiscoveryRecords.table(view);
        server.publish(next);
        if (!next.networks().equals(published.networks())) {
            log.debug("Embedded DNS: {}", next);
        }
        published = next;
    }

    /**
     * Opens the embedded DNS listeners in a task's namespace for {@code networks} (its user-defined
     * networks, in attachment order).
     *
     * @return whether it did: a task on no user-defined network gets none
     * @throws IllegalStateException if the sockets could not be opened
     */
    public boolean openSandbox(String netns, List<String> networks) {
        if (networks.isEmpty()) {
            return false;
        }
        listeners.open(netns, new SandboxScope(networks));
        return true;
    }

    /** Closes a task namespace's listeners, if it has any. Idempotent. */
    public void closeSandbox(String netns) {
        listeners.close(netns);
    }

    /** Closes every sandbox's listeners (the server and groups stay the caller's). */
    @Override
    public void close() {
        listeners.close();
    }
}
