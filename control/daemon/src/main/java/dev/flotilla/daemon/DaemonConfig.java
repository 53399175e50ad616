package dev.flotilla.daemon;

import dev.flotilla.dns.DnsServerOptions;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import dev.flotilla.executor.Registry;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A daemon's settings.
 *
 * @param dataRoot       where the swarm state, Raft log, images and container bundles live
 * @param socket         the CLI's unix socket
 * @param runc           the runc binary
 * @param dnsUpstreams   resolvers the embedded DNS server forwards names it does not own to (at
 *                       most 3, tried in order); empty: the host's resolv.conf nameservers
 * @param dnsTtlSeconds  TTL of the embedded DNS server's own answers
 * @param lbIdleTimeout  a TCP connection through the routing mesh or a service VIP quiet this long
 *                       in both directions is closed; {@link Duration#ZERO}: never
 * @param registries     how images are pulled: registries spoken to without TLS verification and
 *                       the {@code certs.d} directory of registries' CAs
 */
public record DaemonConfig(Path dataRoot, Path socket, String runc, List<InetSocketAddress> dnsUpstreams,
                           int dnsTtlSeconds, Duration lbIdleTimeout, Registry.Options registries) {

    public DaemonConfig {
        Objects.requireNonNull(dataRoot, "dataRoot");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(runc, "runc");
        dnsUpstreams = List.copyOf(dnsUpstreams);
        Objects.requireNonNull(lbIdleTimeout, "lbIdleTimeout");
        Objects.requireNonNull(registries, "registries");
    }

    /** Defaults for everything but the paths and runc. */
    public DaemonConfig(Path dataRoot, Path socket, String runc) {
        this(dataRoot, socket, runc, List.of(), DnsServerOptions.DEFAULT_TTL_SECONDS, Duration.ZERO,
                Registry.Options.DEFAULT);
    }

    /** {@link #namespaceTag} of this daemon's data root. */
    public String tag() {
        return namespaceTag(dataRoot);
    }

    /**
     * A short token unique to a data root (the first 6 hex digits of the SHA-256 of its absolute,
     * normalised path): it prefixes every namespace the daemon makes ({@code fl-<tag>-...}), so
     * daemons sharing a machine never collide, and a restarted daemon finds what it left. Scripts
     * ask for it with {@code flotilla daemon --data-root DIR --print-namespace-tag}.
     */
    public static String namespaceTag(Path dataRoot) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(dataRoot.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
