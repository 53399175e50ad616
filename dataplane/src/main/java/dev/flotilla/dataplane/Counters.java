package dev.flotilla.dataplane;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The counters of one component (a VTEP, a proxy listener), looked up by name once at setup and
 * then held in fields; {@link #counter} is not meant for per-packet use. Thread-safe.
 */
public final class Counters {

    private final String scope;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    /** @param scope prefix of every counter's name, e.g. {@code "vxlan"} gives {@code "vxlan.rx_drops"} */
    public Counters(String scope) {
        if (scope == null || scope.isEmpty()) {
            throw new IllegalArgumentException("counter scope must not be empty");
        }
        this.scope = scope;
    }

    /** The counter called {@code scope.name}, created at zero the first time it is asked for. */
    public Counter counter(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("counter name must not be empty");
        }
        return counters.computeIfAbsent(name, n -> new Counter(scope + "." + n));
    }

    /** Every counter's current value by full name, sorted by name. */
    public SortedMap<String, Long> snapshot() {
        SortedMap<String, Long> values = new TreeMap<>();
        counters.values().forEach(c -> values.put(c.name(), c.get()));
        return Collections.unmodifiableSortedMap(values);
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
