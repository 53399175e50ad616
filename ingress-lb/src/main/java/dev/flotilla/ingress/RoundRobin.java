package dev.flotilla.ingress;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Docker's policy: each new connection or flow goes to the next backend. The counter survives
 * pool updates, so after an update the rotation simply continues over the new set.
 */
public final class RoundRobin implements BalancingPolicy {

    private final AtomicLong counter = new AtomicLong();

    @Override
    public int select(List<Backend> backends) {
        return Math.floorMod(counter.getAndIncrement(), backends.size());
    }
}
