package dev.flotilla.cluster.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataKeyTest {

    private static final byte[] RECORD = "secret value s3cr3t".getBytes(StandardCharsets.UTF_8);

    @Test
    void aSealedRecordHoldsNoPlainBytesAndOpensToTheSame() {
        DataKey key = DataKey.generate();
        byte[] sealed = key.seal(RECORD);

        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("s3cr3t");
        assertThat(DataKey.isSealed(sealed)).isTrue();
        assertThat(key.open(sealed)).isEqualTo(RECORD);
        assertThat(key.seal(RECORD)).as("a fresh nonce each time").isNotEqualTo(sealed);
    }

    @Test
    void aProtobufRecordIsNotTakenForASealedOne() {
        byte[] protobuf = dev.flotilla.api.raft.v1.StoreTransaction.newBuilder()
                .addActions(dev.flotilla.api.raft.v1.StoreAction.getDefaultInstance()).build().toByteArray();
        assertThat(DataKey.isSealed(protobuf)).isFalse();
        assertThat(DataKey.isSealed(new byte[0])).isFalse();
    }

    @Test
    void aChangedRecordOrAnotherKeyIsRefused() {
        DataKey key = DataKey.generate();
        byte[] sealed = key.seal(RECORD);
        byte[] flipped = sealed.clone();
        flipped[flipped.length - 3] ^= 1;

        assertThatThrownBy(() -> key.open(flipped)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not authenticate");
        assertThatThrownBy(() -> DataKey.generate().open(sealed)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another data key");
        assertThatThrownBy(() -> key.open(RECORD)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theKeyFileIsOwnerOnlyAndLoadsTheSameKey(@TempDir Path dir) throws Exception {
        DataKey key = DataKey.generate();
        Path file = dir.resolve("swarm/data.key");
        key.save(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        DataKey loaded = DataKey.load(file).orElseThrow();
        assertThat(loaded.open(key.seal(RECORD))).isEqualTo(RECORD);
        assertThat(DataKey.load(dir.resolve("none"))).isEmpty();
        assertThat(key.toString()).doesNotContain(java.util.Base64.getEncoder().encodeToString(key.bytes()));
    }

    @Test
    void aDamagedKeyFileIsAnError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("data.key"), "not a key\n");
        assertThatThrownBy(() -> DataKey.load(file)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("is not a Flotilla data key");
    }
}
