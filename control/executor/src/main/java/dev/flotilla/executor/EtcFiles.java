package dev.flotilla.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** The per-container {@code /etc/hostname}, {@code /etc/hosts} and {@code /etc/resolv.conf}, as Docker makes them. */
final class EtcFiles {

    static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");
    /** What a task on a user-defined network gets: the daemon's embedded DNS server, as Docker writes it. */
    static final String EMBEDDED_DNS_RESOLV_CONF = "nameserver 127.0.0.11\noptions ndots:0\n";

    private static final String HOSTS = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters
            """;

    private EtcFiles() {
    }

    /** Writes the bundle's files; returns the file to bind-mount at {@code /etc/resolv.conf}. */
    static Path write(Bundle bundle, ContainerSpec spec) throws IOException {
        Files.writeString(bundle.hostname(), spec.hostname() + "\n", StandardCharsets.UTF_8);
        Files.writeString(bundle.hosts(), HOSTS, StandardCharsets.UTF_8);
        if (spec.resolvConf() != null) {
            if (!Files.isRegularFile(spec.resolvConf())) {
                throw new IllegalArgumentException("resolv.conf for container " + spec.name() + " not found: "
                        + spec.resolvConf());
            }
            return spec.resolvConf();
        }
        Files.writeString(bundle.resolvConf(), spec.embeddedDns() ? EMBEDDED_DNS_RESOLV_CONF : hostResolvConf(),
                StandardCharsets.UTF_8);
        return bundle.resolvConf();
    }

    /**
     * The host's resolv.conf without loopback name servers: inside the container's network namespace
     * 127.0.0.53 is not the host's resolver, as Docker also reasons.
     */
    static String hostResolvConf() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(HOST_RESOLV_CONF, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        }
        return lines.stream()
                .filter(line -> !isLoopbackNameserver(line))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private static boolean isLoopbackNameserver(String line) {
        String[] words = line.strip().split("\\s+");
        return words.length >= 2 && words[0].equals("nameserver")
                && (words[1].startsWith("127.") || words[1].equals("::1"));
    }
}
