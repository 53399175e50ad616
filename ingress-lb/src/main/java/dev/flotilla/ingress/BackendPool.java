package dev.flotilla.ingress;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The running tasks a published port or VIP sends new connections and flows to.
 *
 * <p>Reads are lock-free: the pool is an immutable snapshot replaced whole by
 * {@link #setBackends(Collection)}. Changing the pool never touches established connections; a
 * task leaving the service is removed here before its container is stopped, so it gets no new
 * connection while the ones it has keep working until the task goes away.
 */
public final class BackendPool {

    private final BalancingPolicy policy;
    /** Immutable, duplicate-free; replaced whole, never mutated. */
    private volatile List<Backend> backends = List.of();

    /** A pool balanced round robin. */
    public BackendPool() {
        this(new RoundRobin());
    }

    public BackendPool(BalancingPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A round-robin pool holding {@code backends}. */
    public static BackendPool of(Backend... backends) {
        BackendPool pool = new BackendPool();
        pool.setBackends(List.of(backends));
        return pool;
    }

    /** Replaces the pool's backends (duplicates dropped, order kept); takes effect for the next connection. */
    public void setBackends(Collection<Backend> newBackends) {
        this.backends = List.copyOf(new LinkedHashSet<>(newBackends));
    }

    /** The current snapshot (immutable). */
    public List<Backend> backends() {
        return backends;
    }

    public int size() {
        return backends.size();
    }

    public boolean isEmpty() {
        return backends.isEmpty();
    }

    public boolean contains(Backend backend) {
        return backends.contains(backend);
    }

    /** The policy's choice for the next connection or flow; empty when the pool is empty. */
    public Optional<Backend> next() {
        List<Backend> snapshot = backends;
        return snapshot.isEmpty() ? Optional.empty() : Optional.of(snapshot.get(policy.select(snapshot)));
    }

    /**
     * The backends to try, in order, for one new connection: the policy's choice first, then the
     * rest of the same snapshot in ring order, so that a refused connect moves on to the next
     * backend and every backend is tried at most once.
     */
    public Candidates candidates() {
        List<Backend> snapshot = backends;
        return new Candidates(this, snapshot, snapshot.isEmpty() ? 0 : policy.select(snapshot));
    }

    /** Iterator over the backends to try for one connection. Not thread-safe: one connection's own. */
    public static final class Candidates {
        private final BackendPool pool;
        private final List<Backend> snapshot;
        private final int start;
        private int tried;

        private Candidates(BackendPool pool, List<Backend> snapshot, int start) {
            this.pool = pool;
            this.snapshot = snapshot;
            this.start = start;
        }

        /**
         * The next backend to try, or {@code null} when every backend has been tried. Backends that
         * left the pool since the first choice are skipped.
         */
        public Backend next() {
            while (tried < snapshot.size()) {
                Backend candidate = snapshot.get((start + tried) % snapshot.size());
                boolean first = tried == 0;
                tried++;
                if (first || pool.contains(candidate)) {
                    return candidate;
                }
            }
            return null;
        }
    }
}
