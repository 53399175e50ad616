package dev.flotilla.dns;

import java.util.List;
import java.util.Objects;

/**
 * The networks one sandbox (task) is attached to, in attachment order: what its DNS lookups may
 * see. When two of its networks know the same name, the first network in this order answers
 * (Docker's resolver walks the sandbox's endpoints the same way).
 *
 * @param networks network ids as the {@link RecordTable} was built with; not empty, no duplicates
 */
public record SandboxScope(List<String> networks) {

    public SandboxScope {
        networks = List.copyOf(Objects.requireNonNull(networks, "networks"));
        if (networks.isEmpty()) {
            throw new IllegalArgumentException("a sandbox scope needs at least one network");
        }
        if (networks.stream().distinct().count() != networks.size()) {
            throw new IllegalArgumentException("network listed twice in sandbox scope: " + networks);
        }
    }

    public static SandboxScope of(String... networks) {
        return new SandboxScope(List.of(networks));
    }
}
