package dev.flotilla.control.daemon;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A daemon's settings.
 *
 * @param dataRoot where the swarm state, Raft log, images and container bundles live
 * @param socket   the CLI's unix socket
 * @param runc     the runc binary
 */
public record DaemonConfig(Path dataRoot, Path socket, String runc) {

    /**
     * A short token unique to this data root: it prefixes every namespace this daemon makes, so
     * daemons sharing a machine never collide, and a restarted daemon finds what it left.
     */
    public String tag() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(dataRoot.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
