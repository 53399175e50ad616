package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the upstream resolvers from a resolv.conf: the {@code nameserver} lines, in order, at most
 * three (glibc's MAXNS), port 53.
 *
 * <p>What is skipped, and why: {@code 127.0.0.11} (the embedded server's own address; forwarding
 * there could loop) and lines that are not literal IP addresses. Other loopback resolvers
 * (systemd-resolved's 127.0.0.53, a local dnsmasq) are <em>kept</em>: Docker must drop them because
 * it forwards from inside the container, where the host's loopback is unreachable, but Flotilla
 * forwards from the daemon's own namespace, which is where that resolv.conf is true. Stateless.
 */
public final class ResolvConf {

    public static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");
    static final InetAddress EMBEDDED_ADDRESS = literal("127.0.0.11");
    /** glibc's MAXNS: resolv.conf consults at most three nameservers; so does the forwarder. */
    public static final int MAX_NAMESERVERS = 3;
    private static final int DNS_PORT = 53;

    private ResolvConf() {
    }

    /**
     * The upstreams {@code resolvConf} names; an absent file names none.
     *
     * @throws UncheckedIOException if the file exists but cannot be read
     */
    public static List<InetSocketAddress> upstreams(Path resolvConf) {
        List<String> lines;
        try {
            lines = Files.readAllLines(resolvConf, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resolvConf, e);
        }
        return parse(lines);
    }

    static List<InetSocketAddress> parse(List<String> lines) {
        List<InetSocketAddress> upstreams = new ArrayList<>();
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 2 || !fields[0].equals("nameserver") || upstreams.size() == MAX_NAMESERVERS) {
                continue;
            }
            InetAddress address = literalOrNull(fields[1]);
            if (address != null && !address.equals(EMBEDDED_ADDRESS)) {
                upstreams.add(new InetSocketAddress(address, DNS_PORT));
            }
        }
        return List.copyOf(upstreams);
    }

    /** Parses an IPv4 or IPv6 literal without ever asking DNS (a hostname yields null). */
    private static InetAddress literalOrNull(String text) {
        if (text.indexOf(':') < 0) {
            try {
                return Ipv4Address.parse(text).toInetAddress();
            } catch (IllegalArgumentException notIpv4) {
                return null;
            }
        }
        try {
            // Contains ':', so the JDK parses it as an IPv6 literal and never resolves it.
            return InetAddress.getByName(text);
        } catch (UnknownHostException malformed) {
            return null;
        }
    }

    private static InetAddress literal(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
