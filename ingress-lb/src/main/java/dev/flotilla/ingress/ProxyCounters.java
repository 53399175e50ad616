package dev.flotilla.ingress;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one published port has done, for metrics and tests. Counters are updated from the event
 * loops without locks and may be read from any thread.
 */
public final class ProxyCounters {

    final LongAdder connectionsAccepted = new LongAdder();
    final LongAdder connectionsFailed = new LongAdder();
    final LongAdder connectionsIdleClosed = new LongAdder();
    final LongAdder backendConnectsRefused = new LongAdder();
    final LongAdder backendConnectsFailed = new LongAdder();
    final LongAdder bytesToBackends = new LongAdder();
    final LongAdder bytesToClients = new LongAdder();
    final LongAdder flowsCreated = new LongAdder();
    final LongAdder flowsExpired = new LongAdder();
    final LongAdder flowsActive = new LongAdder();
    final LongAdder datagramsDropped = new LongAdder();

    /** TCP client connections accepted on the published port. */
    public long connectionsAccepted() {
        return connectionsAccepted.sum();
    }

    /** TCP clients closed because no backend of the pool could be reached (or the pool was empty). */
    public long connectionsFailed() {
        return connectionsFailed.sum();
    }

    /** TCP connections closed because they were quiet for the configured idle timeout. */
    public long connectionsIdleClosed() {
        return connectionsIdleClosed.sum();
    }

    /** Connects to a backend that the backend refused (the next backend was tried). */
    public long backendConnectsRefused() {
        return backendConnectsRefused.sum();
    }

    /** Connects to a backend that failed otherwise: timeout, unreachable (the next backend was tried). */
    public long backendConnectsFailed() {
        return backendConnectsFailed.sum();
    }

    /** Payload bytes relayed from clients to backends (TCP and UDP). */
    public long bytesToBackends() {
        return bytesToBackends.sum();
    }

    /** Payload bytes relayed from backends to clients (TCP and UDP). */
    public long bytesToClients() {
        return bytesToClients.sum();
    }

    /** UDP flows opened (each went to the backend the policy chose). */
    public long flowsCreated() {
        return flowsCreated.sum();
    }

    /** UDP flows forgotten after the idle timeout. */
    public long flowsExpired() {
        return flowsExpired.sum();
    }

    /** UDP flows open now. */
    public long flowsActive() {
        return flowsActive.sum();
    }

    /** UDP datagrams dropped: flow table full, empty pool, or a backend that could not be reached. */
    public long datagramsDropped() {
        return datagramsDropped.sum();
    }

    @Override
    public String toString() {
        return "ProxyCounters{accepted=" + connectionsAccepted() + ", failed=" + connectionsFailed()
                + ", idleClosed=" + connectionsIdleClosed() + ", refused=" + backendConnectsRefused()
                + ", connectFailed=" + backendConnectsFailed() + ", bytesToBackends=" + bytesToBackends()
                + ", bytesToClients=" + bytesToClients() + ", flowsCreated=" + flowsCreated()
                + ", flowsExpired=" + flowsExpired() + ", flowsActive=" + flowsActive()
                + ", datagramsDropped=" + datagramsDropped() + "}";
    }
}
