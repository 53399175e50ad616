package dev.flotilla.executor;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A container whose bundle exists on this node, created by this daemon or by an earlier run of it.
 *
 * @param id 64 lowercase hex characters
 * @param name the name it was created with
 * @param image the normalized image reference it was created from
 * @param command the command it runs (the task's args, or the image's default)
 * @param labels as given in its {@link ContainerSpec}
 * @param bundle its bundle directory, {@code <state-root>/<id>}
 * @param created when it was created
 */
public record Container(String id, String name, String image, List<String> command, Map<String, String> labels,
        Path bundle, Instant created) {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");

    public Container {
        command = List.copyOf(command);
        labels = Map.copyOf(labels);
    }

    /** The first 12 characters, as Docker shows ids and sets hostnames. */
    public String shortId() {
        return shortId(id);
    }

    static String shortId(String id) {
        return id.substring(0, 12);
    }

    /** Container ids name directories: only 64 lowercase hex characters, so none can escape the state root. */
    static String requireValidId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid container id \"" + id + "\": expected 64 lowercase hex characters");
        }
        return id;
    }
}
