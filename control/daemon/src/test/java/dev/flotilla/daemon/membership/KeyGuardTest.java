package dev.flotilla.daemon.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.ca.UnlockKey;
import dev.flotilla.cluster.store.StoreView;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyGuardTest {

    @TempDir
    Path dataRoot;

    private static StoreView cluster(boolean autolock, String unlockKey) {
        Cluster c = Cluster.newBuilder().setId("c1").setAutolock(autolock).setUnlockKey(unlockKey).build();
        return new StoreView(1, Map.of(c.getId(), c), Map.of(), Map.of(), Map.of(), Map.of());
    }

    @Test
    void theDataKeyFileFollowsTheSwarmsAutolockAndUnlockKey() throws Exception {
        MembershipFiles files = new MembershipFiles(dataRoot);
        DataKey key = DataKey.generate();
        byte[] sealed = key.seal(new byte[] {42});
        UnlockKey first = UnlockKey.generate();
        UnlockKey rotated = UnlockKey.generate();

        KeyGuard guard = new KeyGuard(files, key);
        guard.accept(cluster(true, first.text()));
        guard.accept(cluster(true, rotated.text()));
        guard.close();
        assertThat(files.dataKeyLocked()).isTrue();
        assertThatThrownBy(() -> files.dataKey(first)).as("the old key no longer opens it").hasMessage("invalid key");
        assertThat(files.dataKey(rotated).orElseThrow().open(sealed)).containsExactly(42);

        KeyGuard off = new KeyGuard(files, key);
        off.accept(cluster(false, ""));
        off.close();
        assertThat(files.dataKeyLocked()).isFalse();
        assertThat(files.dataKey().orElseThrow().open(sealed)).containsExactly(42);

        off.accept(cluster(true, first.text()));
        assertThat(files.dataKeyLocked()).as("a closed guard writes nothing").isFalse();
    }
}
