package dev.flotilla.ingress;

import java.util.List;

/**
 * Chooses the backend for a new TCP connection or UDP flow.
 *
 * <p>Called concurrently from every event loop that accepts connections, so implementations are
 * thread-safe and do not block.
 */
@FunctionalInterface
public interface BalancingPolicy {

    /**
     * Returns the index in {@code backends} of the backend for the next connection or flow.
     *
     * @param backends the pool's current snapshot: immutable and never empty
     */
    int select(List<Backend> backends);
}
