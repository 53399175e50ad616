package dev.flotilla.cluster.ca;

import dev.flotilla.common.DurableFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The swarm's data encryption key (swarmkit's DEK): every manager seals what it writes to its
 * Raft log and snapshots with it, so secrets, registry credentials and the root CA key are never
 * on disk in clear. One key for the whole group, because Raft ships the leader's bytes to every
 * follower as they are; a manager gets it at init, or over mutual TLS from a manager when it is
 * admitted or promoted, and keeps it beside its certificates, never in the Raft directory.
 *
 * <p>A sealed blob is {@code 00 'F' 'K' 01}, the first 4 bytes of the key's SHA-256 (which key),
 * a random 12-byte nonce and the AES-256-GCM ciphertext with its tag; the header is authenticated
 * too. No protobuf message starts with a zero byte, so sealed and plain records (an older log)
 * tell themselves apart. Random nonces keep a key safe for 2^32 seals, far beyond a Raft log's
 * life between snapshots and key rotations.
 */
public final class DataKey {

    static final int KEY_BYTES = 32;
    private static final byte[] MAGIC = {0, 'F', 'K', 1};
    private static final int ID_BYTES = 4;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER = MAGIC.length + ID_BYTES + NONCE_BYTES;
    private static final String PEM_TYPE = "FLOTILLA DATA KEY";
    private static final String LOCKED_PEM_TYPE = "FLOTILLA LOCKED DATA KEY";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final byte[] id;

    private DataKey(byte[] raw) {
        if (raw.length != KEY_BYTES) {
            throw new IllegalArgumentException("a data key has " + KEY_BYTES + " bytes, not " + raw.length);
        }
        this.key = new SecretKeySpec(raw.clone(), "AES");
        this.id = Arrays.copyOf(sha256(raw), ID_BYTES);
    }

    public static DataKey generate() {
        byte[] raw = new byte[KEY_BYTES];
        RANDOM.nextBytes(raw);
        return new DataKey(raw);
    }

    /** The key as another manager sent it. */
    public static DataKey of(byte[] raw) {
        return new DataKey(raw);
    }

    /** The raw key, to hand to a manager being admitted (over mutual TLS only). */
    public byte[] bytes() {
        return key.getEncoded();
    }

    public static boolean isSealed(byte[] blob) {
        return blob.length >= HEADER && Arrays.equals(blob, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    public byte[] seal(byte[] plain) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        ByteBuffer out = ByteBuffer.allocate(HEADER + plain.length + TAG_BITS / 8);
        out.put(MAGIC).put(id).put(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(out.array(), 0, HEADER);
            c.doFinal(ByteBuffer.wrap(plain), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
        return out.array();
    }

    /**
     * The plain bytes of a blob {@link #seal} made with this key.
     *
     * @throws IllegalArgumentException if the blob is not sealed, was sealed with another key, or
     *     was changed since
     */
    public byte[] open(byte[] blob) {
        if (!isSealed(blob)) {
            throw new IllegalArgumentException("not a sealed record");
        }
        if (!Arrays.equals(blob, MAGIC.length, MAGIC.length + ID_BYTES, id, 0, ID_BYTES)) {
            throw new IllegalArgumentException("the record is sealed with another data key");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, blob, MAGIC.length + ID_BYTES, NONCE_BYTES));
            c.updateAAD(blob, 0, HEADER);
            return c.doFinal(blob, HEADER, blob.length - HEADER);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("the sealed record does not authenticate (damaged or forged)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /** Writes the key to {@code file} in clear, 0600, atomically. */
    public void save(Path file) throws IOException {
        write(file, PEM_TYPE, bytes());
    }

    /** Writes the key to {@code file} sealed with {@code unlock} (autolock), 0600, atomically. */
    public void save(Path file, UnlockKey unlock) throws IOException {
        write(file, LOCKED_PEM_TYPE, unlock.wrap(this));
    }

    private static void write(Path file, String type, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        String pem = "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(content)
                + "\n-----END " + type + "-----\n";
        DurableFiles.write(file, pem.getBytes(StandardCharsets.US_ASCII),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    /** The key {@link #save} wrote in clear, or empty if there is no such file. */
    public static Optional<DataKey> load(Path file) throws IOException {
        return load(file, null);
    }

    /**
     * The key {@link #save} wrote, opened with {@code unlock} if it is sealed; empty if there is
     * no such file.
     *
     * @throws LockedException if the key is sealed and {@code unlock} is null
     * @throws IllegalArgumentException ("invalid key") if {@code unlock} is not the key it is sealed with
     */
    public static Optional<DataKey> load(Path file, UnlockKey unlock) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (text.contains("-----BEGIN " + LOCKED_PEM_TYPE + "-----")) {
            byte[] wrapped = decode(file, text, LOCKED_PEM_TYPE);
            if (unlock == null) {
                throw new LockedException(file);
            }
            return Optional.of(unlock.unwrap(wrapped));
        }
        try {
            return Optional.of(new DataKey(decode(file, text, PEM_TYPE)));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a Flotilla data key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code file} holds the key sealed with an unlock key. */
    public static boolean isLocked(Path file) throws IOException {
        return Files.exists(file) && Files.readString(file, StandardCharsets.US_ASCII)
                .contains("-----BEGIN " + LOCKED_PEM_TYPE + "-----");
    }

    private static byte[] decode(Path file, String text, String type) throws IOException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IOException(file + " is not a Flotilla data key");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a Flotilla data key: " + e.getMessage(), e);
        }
    }

    /** The data key on disk is sealed with the unlock key, which nobody gave. */
    public static final class LockedException extends IOException {
        LockedException(Path file) {
            super("the data key in " + file + " is sealed with the swarm's unlock key");
        }
    }

    private static byte[] sha256(byte[] raw) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(raw);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        // Never the key itself: this may end up in a log line.
        return "DataKey[" + java.util.HexFormat.of().formatHex(id) + "]";
    }
}
