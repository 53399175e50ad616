package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.TaskState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SwitchableConnectionTest {

    /** A connection whose views are those of a store the test commits to. */
    private static final class StoreConnection implements ClusterConnection {
        final StoreFixtures store = new StoreFixtures();
        final List<Consumer<StoreView>> listeners = new ArrayList<>();

        StoreView commit(StoreAction... actions) {
            StoreView v = store.commit(actions);
            listeners.forEach(l -> l.accept(v));
            return v;
        }

        @Override
        public StoreView view() {
            return store.view();
        }

        @Override
        public void addListener(Consumer<StoreView> listener) {
            listeners.add(listener);
        }

        @Override
        public void write(List<StoreAction> actions) {
        }

        @Override
        public long now() {
            return 0;
        }
    }

    @Test
    void aNewManagerStillReplayingTheLogIsNotSeenUntilItHasCaughtUp() {
        // The worker session's view: the node, then the task it runs, at index 2.
        StoreConnection session = new StoreConnection();
        session.commit(Actions.create(StoreFixtures.node("n1", "198.18.0.1", "")));
        session.commit(Actions.create(StoreFixtures.task("t1", "n1", TaskState.RUNNING)));
        SwitchableConnection agentSees = new SwitchableConnection(session);
        List<StoreView> heard = new ArrayList<>();
        agentSees.addListener(heard::add);

        // Promotion: the node's own store has replayed the first entry only (its node, no task yet).
        StoreConnection replaying = new StoreConnection();
        replaying.commit(Actions.create(StoreFixtures.node("n1", "198.18.0.1", "")));
        agentSees.switchTo(replaying);

        assertThat(agentSees.view().task("t1")).as("the task the node runs, from the last full view").isPresent();
        assertThat(heard).allSatisfy(v -> assertThat(v.task("t1")).isPresent());

        StoreView caughtUp = replaying.commit(Actions.create(StoreFixtures.task("t1", "n1", TaskState.RUNNING)));
        assertThat(agentSees.view()).isSameAs(caughtUp);
        assertThat(heard).last().isSameAs(caughtUp);
        assertThat(agentSees.current()).isSameAs(replaying);
    }

    @Test
    void aSwitchToAConnectionThatIsAheadIsSeenAtOnce() {
        StoreConnection first = new StoreConnection();
        first.commit(Actions.create(StoreFixtures.node("n1", "198.18.0.1", "")));
        SwitchableConnection agentSees = new SwitchableConnection(first);
        StoreConnection ahead = new StoreConnection();
        ahead.commit(Actions.create(StoreFixtures.node("n1", "198.18.0.1", "")));
        StoreView v = ahead.commit(Actions.create(StoreFixtures.task("t1", "n1", TaskState.RUNNING)));

        agentSees.switchTo(ahead);

        assertThat(agentSees.view()).isSameAs(v);
    }
}
