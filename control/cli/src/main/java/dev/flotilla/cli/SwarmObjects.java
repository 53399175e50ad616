package dev.flotilla.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.api.v1.Meta;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** What `secret` and `config` print alike: Docker's JSON head of an object, its labels, one block per object. */
final class SwarmObjects {

    private SwarmObjects() {
    }

    /** Adds {@code {"ID", "Version", "CreatedAt", "UpdatedAt", "Spec": {"Name", "Labels"}}} to {@code docs}; returns Spec. */
    static ObjectNode json(ArrayNode docs, String id, Meta meta, String name, Map<String, String> labels) {
        ObjectNode o = docs.addObject();
        o.put("ID", id);
        o.putObject("Version").put("Index", meta.getVersion());
        o.put("CreatedAt", Instant.ofEpochMilli(meta.getCreatedAtMs()).toString());
        o.put("UpdatedAt", Instant.ofEpochMilli(meta.getUpdatedAtMs()).toString());
        ObjectNode spec = o.putObject("Spec");
        spec.put("Name", name);
        ObjectNode l = spec.putObject("Labels");
        new TreeMap<>(labels).forEach(l::put);
        return spec;
    }

    /** Docker's pretty {@code Labels:} block, nothing without labels. */
    static void printLabels(Map<String, String> labels) {
        if (!labels.isEmpty()) {
            System.out.println("Labels:");
            new TreeMap<>(labels).forEach((k, v) -> System.out.println(" - " + k + (v.isEmpty() ? "" : "=" + v)));
        }
    }

    /** Each object's pretty block, a blank line between two. */
    static <T> void printEach(List<T> objects, Consumer<T> print) {
        for (int i = 0; i < objects.size(); i++) {
            if (i > 0) {
                System.out.println();
            }
            print.accept(objects.get(i));
        }
    }
}
