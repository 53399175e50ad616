package dev.flotilla.executor;

import dev.flotilla.common.MountRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's named volumes, Docker's {@code local} driver: {@code <root>/<name>/_data} is the data a
 * container sees, {@code <root>/<name>/volume.json} its name, labels and creation time. A volume
 * outlives the containers that mount it; whether one still does is the {@link RuncRuntime}'s to say.
 */
public final class VolumeStore {

    private static final Logger log = LoggerFactory.getLogger(VolumeStore.class);

    private static final String DATA = "_data";
    private static final String METADATA = "volume.json";

    /** A volume of this node. */
    public record Volume(String name, String driver, Instant created, Map<String, String> labels,
            Map<String, String> options, boolean anonymous, Path mountpoint) {
    }

    /** What {@code volume.json} holds. */
    record Metadata(String name, String created, Map<String, String> labels, Map<String, String> options,
            boolean anonymous) {
    }

    /** The volume, and whether this call made it. */
    public record Ensured(Volume volume, boolean created) {
    }

    private final Path root;

    public VolumeStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the volume root " + this.root, e);
        }
    }

    /** Creates the volume unless it exists; an existing one keeps its labels, as Docker's does. */
    public synchronized Ensured ensure(String name, Map<String, String> labels, Map<String, String> options,
            boolean anonymous) {
        Optional<Volume> existing = find(name);
        if (existing.isPresent()) {
            return new Ensured(existing.get(), false);
        }
        if (options != null && !options.isEmpty()) {
            throw new IllegalArgumentException("the local volume driver of this node takes no options, got "
                    + String.join(", ", new TreeMap<>(options).keySet()));
        }
        Path dir = root.resolve(MountRules.requireValidVolumeName(name));
        Instant created = Instant.now();
        try {
            // A leftover of a create the daemon did not finish: its metadata is what was missing.
            Files.createDirectories(dir.resolve(DATA));
            Json.write(dir.resolve(METADATA), new Metadata(name, created.toString(),
                    labels == null ? Map.of() : new TreeMap<>(labels), Map.of(), anonymous));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create volume " + name + ": " + e.getMessage(), e);
        }
        log.info("Created {}volume {}", anonymous ? "anonymous " : "", name);
        return new Ensured(find(name).orElseThrow(), true);
    }

    public Optional<Volume> find(String name) {
        if (!MountRules.isValidVolumeName(name)) {
            return Optional.empty();
        }
        Path dir = root.resolve(name);
        Metadata m;
        try {
            if (!Files.isRegularFile(dir.resolve(METADATA))) {
                return Optional.empty();
            }
            m = Json.read(dir.resolve(METADATA), Metadata.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read volume " + name + ": " + e.getMessage(), e);
        }
        return Optional.of(new Volume(name, MountSpec.LOCAL_DRIVER, Instant.parse(m.created()),
                m.labels() == null ? Map.of() : Map.copyOf(m.labels()), Map.of(), m.anonymous(), dir.resolve(DATA)));
    }

    /** Every volume, by name. */
    public List<Volume> list() {
        List<Volume> volumes = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                find(dir.getFileName().toString()).ifPresent(volumes::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the volumes in " + root + ": " + e.getMessage(), e);
        }
        volumes.sort(Comparator.comparing(Volume::name));
        return volumes;
    }

    /** Deletes the volume and its data; the caller made sure no container mounts it. */
    synchronized void delete(String name) {
        Path dir = root.resolve(MountRules.requireValidVolumeName(name));
        try {
            // The metadata first: a delete cut short leaves no half volume that lists as whole.
            Files.deleteIfExists(dir.resolve(METADATA));
            FileTrees.deleteRecursively(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove volume " + name + ": " + e.getMessage(), e);
        }
        log.info("Removed volume {}", name);
    }
}
