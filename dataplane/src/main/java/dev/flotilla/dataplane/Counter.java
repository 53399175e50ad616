package dev.flotilla.dataplane;

import java.util.concurrent.atomic.LongAdder;

/**
 * A named, monotonically increasing count (drops, malformed frames, ...). Hot paths count instead
 * of logging per packet. Increments from many event loops do not contend: backed by {@link LongAdder}.
 */
public final class Counter {

    private final String name;
    private final LongAdder adder = new LongAdder();

    Counter(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public void increment() {
        adder.increment();
    }

    /** Adds {@code delta}, which must not be negative: counters only go up. */
    public void add(long delta) {
        if (delta < 0) {
            throw new IllegalArgumentException("counter " + name + " cannot go down by " + delta);
        }
        adder.add(delta);
    }

    /** The current total; concurrent increments may or may not be included. */
    public long get() {
        return adder.sum();
    }

    @Override
    public String toString() {
        return name + "=" + get();
    }
}
