package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.cluster.store.Actions;
import org.junit.jupiter.api.Test;

class MemoryStoreTest {

    private final MemoryStore store = new MemoryStore();

    private StoreResult apply(long index, dev.flotilla.api.raft.v1.StoreAction... actions) {
        return store.apply(StoreTransaction.newBuilder().addAllActions(java.util.List.of(actions)).build(), index);
    }

    @Test
    void versionIsTheRaftIndexAndUpdatesCompareAndSet() {
        assertThat(apply(7, Actions.create(StoreFixtures.service("s1", "web"))).getOk()).isTrue();
        Service stored = store.view().service("s1").orElseThrow();
        assertThat(stored.getMeta().getVersion()).isEqualTo(7);

        Service scaled = stored.toBuilder().setSpec(stored.getSpec().toBuilder().setReplicas(3)).build();
        assertThat(apply(8, Actions.update(scaled)).getOk()).isTrue();
        StoreResult stale = apply(9, Actions.update(scaled));
        assertThat(stale.getOk()).isFalse();
        assertThat(stale.getError()).contains("changed concurrently");
        assertThat(store.view().service("s1").orElseThrow().getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void aRefusedActionRefusesTheWholeTransaction() {
        apply(1, Actions.create(StoreFixtures.service("s1", "web")));
        StoreResult r = apply(2, Actions.create(StoreFixtures.service("s2", "api")), Actions.create(StoreFixtures.service("s3", "web")));
        assertThat(r.getOk()).isFalse();
        assertThat(r.getError()).isEqualTo("service web already exists");
        assertThat(r.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_NAME);
        assertThat(store.view().services()).containsOnlyKeys("s1");
        assertThat(store.view().index()).isEqualTo(1);
    }

    @Test
    void statusReportsOnlyMoveTasksForwardAndStaleOnesAreSkipped() {
        Task task = Task.newBuilder().setId("t1").setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED)).build();
        apply(1, Actions.create(task));
        apply(2, Actions.status("t1", Actions.status(TaskState.RUNNING, "started", 100)));
        StoreResult stale = apply(3, Actions.status("t1", Actions.status(TaskState.PREPARING, "late", 90)),
                Actions.create(StoreFixtures.service("s1", "web")));
        assertThat(stale.getOk()).isTrue();
        assertThat(store.view().task("t1").orElseThrow().getStatus().getState()).isEqualTo(TaskState.RUNNING);
        assertThat(store.view().services()).containsKey("s1");
    }

    @Test
    void snapshotRestoresTheSameState() {
        apply(1, Actions.create(StoreFixtures.service("s1", "web")));
        MemoryStore copy = new MemoryStore();
        copy.restore(store.snapshot(), 1);
        assertThat(copy.view().services()).isEqualTo(store.view().services());
    }
}
