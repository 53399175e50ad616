package dev.flotilla.cluster.ca;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * A swarm's unlock key (swarmkit's KEK), as Docker prints it: {@code SWMKEY-1-} and 32 random
 * bytes in unpadded base64. With autolock each manager keeps the {@link DataKey} on disk sealed
 * with it, so a stolen disk or a restarted manager reveals nothing until someone types it.
 */
public final class UnlockKey {

    static final String PREFIX = "SWMKEY-1-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] raw;

    private UnlockKey(byte[] raw) {
        this.raw = raw;
    }

    public static UnlockKey generate() {
        byte[] raw = new byte[DataKey.KEY_BYTES];
        RANDOM.nextBytes(raw);
        return new UnlockKey(raw);
    }

    /**
     * The key a user typed (surrounding blanks ignored).
     *
     * @throws IllegalArgumentException if it is not an unlock key at all
     */
    public static UnlockKey parse(String text) {
        String t = text.strip();
        if (!t.startsWith(PREFIX)) {
            throw new IllegalArgumentException("invalid key");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(t.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid key");
        }
        if (raw.length != DataKey.KEY_BYTES) {
            throw new IllegalArgumentException("invalid key");
        }
        return new UnlockKey(raw);
    }

    public String text() {
        return PREFIX + Base64.getEncoder().withoutPadding().encodeToString(raw);
    }

    /** {@code key} sealed with this key, for the data key file. */
    byte[] wrap(DataKey key) {
        return DataKey.of(raw).seal(key.bytes());
    }

    /**
     * The data key {@link #wrap} sealed.
     *
     * @throws IllegalArgumentException if this is not the key it was sealed with
     */
    DataKey unwrap(byte[] wrapped) {
        try {
            return DataKey.of(DataKey.of(raw).open(wrapped));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid key");
        }
    }

    @Override
    public String toString() {
        return "UnlockKey[...]";
    }
}
