package dev.flotilla.cluster.ca;

import dev.flotilla.common.Ids;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A join token: {@code SWMTKN-1-<root CA digest>-<secret>}. The digest (sha256 of the root CA
 * certificate, 50 base36 characters) lets a joining node pin the CA before it trusts anything;
 * the secret (128 random bits, 25 base36 characters) proves it may join, and in which role.
 */
public record JoinToken(String caDigest, String secret) {

    private static final Pattern FORMAT = Pattern.compile("SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new token for the CA whose DER-encoded certificate is {@code caCertDer}. */
    public static JoinToken generate(byte[] caCertDer) {
        byte[] secret = new byte[16];
        RANDOM.nextBytes(secret);
        return new JoinToken(digest(caCertDer), Ids.base36(secret, 25));
    }

    /** The base36 sha256 of a DER certificate, as carried in tokens. */
    public static String digest(byte[] caCertDer) {
        try {
            return Ids.base36(MessageDigest.getInstance("SHA-256").digest(caCertDer), 50);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Parses a token; empty when it is not of the {@code SWMTKN-1-...} form. */
    public static Optional<JoinToken> parse(String token) {
        Matcher m = FORMAT.matcher(token == null ? "" : token.trim());
        return m.matches() ? Optional.of(new JoinToken(m.group(1), m.group(2))) : Optional.empty();
    }

    @Override
    public String toString() {
        return "SWMTKN-1-" + caDigest + "-" + secret;
    }
}
