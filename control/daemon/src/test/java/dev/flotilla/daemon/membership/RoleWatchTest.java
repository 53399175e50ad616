package dev.flotilla.daemon.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.store.StoreView;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A node carries out the role the store gives it, one change at a time, off the thread that brings the view. */
@Timeout(30)
class RoleWatchTest {

    private static final SwarmState WORKER = new SwarmState("n1", null, "10.0.0.1", 2378, SwarmState.WORKER,
            List.of("10.0.0.2:2377"));
    private static final SwarmState MANAGER = new SwarmState("n1", UUID.randomUUID(), "10.0.0.1", 2378,
            SwarmState.MANAGER, List.of());

    private static Node node(NodeRole role) {
        return Node.newBuilder().setId("n1").setRole(role).build();
    }

    private static StoreView viewWith(Node n) {
        return new StoreView(1, Map.of(), Map.of(n.getId(), n), Map.of(), Map.of(), Map.of());
    }

    @Test
    void aWorkerTheStoreMakesAManagerIsPromoted() {
        assertThat(RoleWatch.changeFor(WORKER, Optional.of(node(NodeRole.MANAGER)))).contains(RoleWatch.RoleChange.PROMOTE);
    }

    @Test
    void aManagerTheStoreMakesAWorkerIsDemoted() {
        assertThat(RoleWatch.changeFor(MANAGER, Optional.of(node(NodeRole.WORKER)))).contains(RoleWatch.RoleChange.DEMOTE);
    }

    @Test
    void aNodeAlreadyInItsRoleOrNotInTheStoreIsLeftAsItIs() {
        assertThat(RoleWatch.changeFor(WORKER, Optional.of(node(NodeRole.WORKER)))).isEmpty();
        assertThat(RoleWatch.changeFor(MANAGER, Optional.of(node(NodeRole.MANAGER)))).isEmpty();
        assertThat(RoleWatch.changeFor(WORKER, Optional.empty())).isEmpty();
        assertThat(RoleWatch.changeFor(MANAGER, Optional.empty())).isEmpty();
    }

    @Test
    void aNodeOutsideASwarmWatchesNothing() {
        AtomicInteger changes = new AtomicInteger();
        try (RoleWatch watch = new RoleWatch(Optional::empty, changes::incrementAndGet, changes::incrementAndGet)) {
            watch.seen(viewWith(node(NodeRole.MANAGER)));
            watch.seen(viewWith(node(NodeRole.WORKER)));
        }
        assertThat(changes).hasValue(0);
    }

    @Test
    void oneChangeRunsAtATimeOnItsOwnThreadAndTheNextViewIsLookedAtAgain() throws InterruptedException {
        AtomicInteger promotions = new AtomicInteger();
        AtomicReference<String> thread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Runnable promote = () -> {
            thread.set(Thread.currentThread().getName());
            promotions.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        StoreView promoted = viewWith(node(NodeRole.MANAGER));
        try (RoleWatch watch = new RoleWatch(() -> Optional.of(WORKER), promote, () -> {
            throw new AssertionError("a worker is not demoted");
        })) {
            watch.seen(promoted);
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            watch.seen(promoted);
            watch.seen(promoted);
            assertThat(promotions).as("views seen while a promotion runs start none").hasValue(1);
            assertThat(thread.get()).isEqualTo("fl-role");

            release.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (promotions.get() < 2 && System.nanoTime() - deadline < 0) {
                watch.seen(promoted);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            assertThat(promotions).as("the role is still wrong after the first try: tried again").hasValue(2);
        }
    }

    @Test
    void aFailedChangeDoesNotStopTheWatch() {
        AtomicInteger tries = new AtomicInteger();
        Runnable failing = () -> {
            tries.incrementAndGet();
            throw new IllegalStateException("promotion failed, staying a worker: no manager answered");
        };
        try (RoleWatch watch = new RoleWatch(() -> Optional.of(WORKER), failing, () -> { })) {
            StoreView promoted = viewWith(node(NodeRole.MANAGER));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (tries.get() < 2 && System.nanoTime() - deadline < 0) {
                watch.seen(promoted);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        assertThat(tries.get()).isGreaterThanOrEqualTo(2);
    }
}
