package dev.flotilla.cli;

import dev.flotilla.api.v1.PortConfig;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses `-p PUBLISHED:TARGET[/tcp|/udp]` (and `-p TARGET`, published chosen by the swarm). */
final class PortSpec {

    private static final Pattern FORMAT = Pattern.compile("(?:(\\d{1,5}):)?(\\d{1,5})(?:/(tcp|udp))?");

    private PortSpec() {
    }

    static PortConfig parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid argument \"" + text + "\" for \"-p, --publish\" flag: "
                    + "expected PUBLISHED:TARGET[/tcp|/udp]");
        }
        int published = m.group(1) == null ? 0 : port(m.group(1), text);
        int target = port(m.group(2), text);
        if (target == 0) {
            throw new IllegalArgumentException("invalid argument \"" + text + "\": target port must be 1-65535");
        }
        return PortConfig.newBuilder()
                .setPublishedPort(published)
                .setTargetPort(target)
                .setProtocol(m.group(3) == null ? PortConfig.Protocol.TCP
                        : DockerWords.parse(PortConfig.Protocol.class, m.group(3)).orElseThrow())
                .setPublishMode(PortConfig.PublishMode.INGRESS)
                .build();
    }

    private static int port(String digits, String text) {
        int port = Integer.parseInt(digits);
        if (port > 65535) {
            throw new IllegalArgumentException("invalid argument \"" + text + "\": port " + port + " is out of range 1-65535");
        }
        return port;
    }

    /** Docker's PORTS column: {@code *:8080->80/tcp}. */
    static String format(PortConfig p) {
        return "*:" + p.getPublishedPort() + "->" + p.getTargetPort() + "/" + DockerWords.of(p.getProtocol());
    }
}
