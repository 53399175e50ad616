package dev.flotilla.bench;

import dev.flotilla.ingress.Backend;
import dev.flotilla.ingress.BackendPool;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The routing mesh's per-connection choice of a backend: {@link BackendPool#next()} (and
 * {@link BackendPool#candidates()}, what a TCP port actually calls per accepted connection) over
 * pools of 3 and 100 tasks, from one thread and from two threads sharing one pool (the daemon's
 * two mesh event loops accepting at once contend on the round-robin counter).
 *
 * <p>Run with {@code bench/jmh.sh BackendPoolBench}; add {@code -prof gc} for bytes allocated per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BackendPoolBench {

    @Param({"3", "100"})
    public int backends;

    private BackendPool pool;

    @Setup
    public void setUp() throws UnknownHostException {
        List<Backend> list = new ArrayList<>(backends);
        for (int i = 0; i < backends; i++) {
            // 10.0.0.2 upwards: the ingress network's task addresses.
            InetAddress ip = InetAddress.getByAddress(new byte[] {10, 0, (byte) ((i + 2) >> 8), (byte) (i + 2)});
            list.add(new Backend("task" + i, new InetSocketAddress(ip, 80)));
        }
        pool = new BackendPool();
        pool.setBackends(list);
    }

    @Benchmark
    @Threads(1)
    public Optional<Backend> next1Thread() {
        return pool.next();
    }

    @Benchmark
    @Threads(2)
    public Optional<Backend> next2Threads() {
        return pool.next();
    }

    /** The first candidate of a connection: the pool's choice plus the per-connection iterator. */
    @Benchmark
    @Threads(1)
    public Backend candidates1Thread() {
        return pool.candidates().next();
    }
}
