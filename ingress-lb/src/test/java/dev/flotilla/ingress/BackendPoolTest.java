package dev.flotilla.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BackendPoolTest {

    private static final Backend A = backend("A", 1);
    private static final Backend B = backend("B", 2);
    private static final Backend C = backend("C", 3);
    private static final Backend D = backend("D", 4);
    private static final Backend E = backend("E", 5);

    private static Backend backend(String id, int lastOctet) {
        return new Backend(id, new InetSocketAddress("10.0.0." + lastOctet, 80));
    }

    private static List<Backend> take(BackendPool pool, int n) {
        List<Backend> picked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            picked.add(pool.next().orElseThrow());
        }
        return picked;
    }

    @Test
    void roundRobinVisitsEveryBackendInOrder() {
        BackendPool pool = BackendPool.of(A, B, C);

        assertThat(take(pool, 7)).containsExactly(A, B, C, A, B, C, A);
    }

    @Test
    void updateMidStreamKeepsRotatingOverTheNewSet() {
        BackendPool pool = BackendPool.of(A, B, C);
        assertThat(take(pool, 2)).containsExactly(A, B);

        pool.setBackends(List.of(D, E));

        List<Backend> after = take(pool, 4);
        assertThat(after).containsOnly(D, E);
        assertThat(after.get(0)).isNotEqualTo(after.get(1));
        assertThat(after.subList(2, 4)).isEqualTo(after.subList(0, 2));
    }

    @Test
    void emptyPoolChoosesNothing() {
        BackendPool pool = new BackendPool();

        assertThat(pool.next()).isEmpty();
        assertThat(pool.candidates().next()).isNull();
        assertThat(pool.size()).isZero();
        assertThat(pool.isEmpty()).isTrue();
    }

    @Test
    void duplicatesAreDroppedAndOrderKept() {
        BackendPool pool = new BackendPool();
        pool.setBackends(List.of(B, A, B, C, A));

        assertThat(pool.backends()).containsExactly(B, A, C);
    }

    @Test
    void candidatesTryEveryBackendOnceStartingWithThePolicysChoice() {
        BackendPool pool = BackendPool.of(A, B, C);
        pool.next(); // the policy's next choice is now B

        BackendPool.Candidates candidates = pool.candidates();

        assertThat(candidates.next()).isEqualTo(B);
        assertThat(candidates.next()).isEqualTo(C);
        assertThat(candidates.next()).isEqualTo(A);
        assertThat(candidates.next()).isNull();
    }

    @Test
    void candidatesSkipBackendsThatLeftThePool() {
        BackendPool pool = BackendPool.of(A, B, C);
        BackendPool.Candidates candidates = pool.candidates();
        assertThat(candidates.next()).isEqualTo(A);

        pool.setBackends(List.of(A, C));

        assertThat(candidates.next()).isEqualTo(C);
        assertThat(candidates.next()).isNull();
    }

    @Test
    void concurrentPicksShareTheRotationExactly() throws InterruptedException {
        BackendPool pool = BackendPool.of(A, B, C);
        int threads = 4;
        int picksPerThread = 30_000;
        Map<Backend, AtomicInteger> counts = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                awaitQuietly(start);
                for (int i = 0; i < picksPerThread; i++) {
                    counts.computeIfAbsent(pool.next().orElseThrow(), b -> new AtomicInteger()).incrementAndGet();
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }

        int each = threads * picksPerThread / 3;
        assertThat(counts).hasSize(3);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(each));
    }

    @Test
    void picksDuringUpdatesAlwaysComeFromAPublishedSet() throws InterruptedException {
        BackendPool pool = BackendPool.of(A, B, C);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<Object> wrong = new AtomicReference<>();
        Thread picker = new Thread(() -> {
            while (running.get()) {
                Backend b = pool.next().orElse(null);
                if (b == null || !List.of(A, B, C, D, E).contains(b)) {
                    wrong.compareAndSet(null, String.valueOf(b));
                }
            }
        });
        picker.start();
        for (int i = 0; i < 20_000; i++) {
            pool.setBackends(i % 2 == 0 ? List.of(D, E) : List.of(A, B, C));
        }
        running.set(false);
        picker.join();

        assertThat(wrong.get()).isNull();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
