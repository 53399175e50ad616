package dev.flotilla.cli;

import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.common.TaskNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Docker's {@code -f key=value} filters of {@code service ps} and {@code service ls}: values of one
 * key are alternatives, different keys must all match. A key the command does not know is refused
 * with Docker's sentence.
 */
final class Filters {

    private final Map<String, List<String>> values;

    private Filters(Map<String, List<String>> values) {
        this.values = values;
    }

    static Filters parse(List<String> flags, Set<String> keys) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String f : flags) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad format of filter (expected name=value)");
            }
            String key = f.substring(0, eq);
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("Error response from daemon: invalid filter '" + key + "'");
            }
            values.computeIfAbsent(key, k -> new ArrayList<>()).add(f.substring(eq + 1));
        }
        return new Filters(values);
    }

    /** Whether some value of {@code key} matches, or no value of it was given. */
    private boolean any(String key, java.util.function.Predicate<String> matches) {
        List<String> given = values.get(key);
        return given == null || given.stream().anyMatch(matches);
    }

    /** {@code service ps}: desired-state (running, shutdown, accepted), node (id, id prefix or hostname), name (prefix). */
    boolean task(Task t, Map<String, String> hostnames) {
        for (String v : values.getOrDefault("desired-state", List.of())) {
            if (!Set.of("running", "shutdown", "accepted").contains(v)) {
                throw new IllegalArgumentException("Error response from daemon: invalid filter 'desired-state=" + v
                        + "': running, shutdown or accepted");
            }
        }
        return any("desired-state", v -> switch (v) {
                    case "running" -> t.getDesiredState() == TaskState.RUNNING;
                    case "shutdown" -> t.getDesiredState().getNumber() > TaskState.RUNNING_VALUE;
                    default -> t.getDesiredState() == TaskState.ACCEPTED;
                })
                && any("node", v -> !t.getNodeId().isEmpty()
                        && (t.getNodeId().startsWith(v) || v.equals(hostnames.get(t.getNodeId()))))
                && any("name", v -> TaskNames.slotName(t.getServiceName(), t.getSlot(), t.getNodeId()).startsWith(v))
                && any("id", v -> t.getId().startsWith(v));
    }

    /** {@code service ls}: name (prefix), id (prefix), mode (replicated, global). */
    boolean service(Service s) {
        return any("name", v -> s.getSpec().getName().startsWith(v))
                && any("id", v -> s.getId().startsWith(v))
                && any("mode", v -> DockerWords.of(s.getSpec().getMode()).equals(v));
    }

    /**
     * {@code volume ls}: name (part of it), driver, label ({@code K} or {@code K=V}), dangling
     * ({@code true}: no container uses it).
     */
    boolean volume(dev.flotilla.api.v1.Volume v) {
        for (String d : values.getOrDefault("dangling", List.of())) {
            if (!Set.of("true", "false", "1", "0").contains(d)) {
                throw new IllegalArgumentException("Error response from daemon: invalid filter 'dangling=" + d
                        + "': true or false");
            }
        }
        return any("name", v.getName()::contains)
                && any("driver", v.getDriver()::equals)
                && any("label", l -> l.contains("=")
                        ? l.substring(l.indexOf('=') + 1).equals(v.getLabelsMap().get(l.substring(0, l.indexOf('='))))
                        : v.getLabelsMap().containsKey(l))
                && any("dangling", d -> (d.equals("true") || d.equals("1")) == (v.getUsedByCount() == 0));
    }
}
