package dev.flotilla.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's {@link MountSpec mounts} as the node makes them: Docker's checks before anything is
 * made (a bind's source exists, the volume driver is {@code local}), a volume's name (its own, or
 * for an anonymous one a name derived from the container and target), filling a new volume from
 * the image, and the OCI mounts.
 */
final class VolumeMounts {

    private static final Logger log = LoggerFactory.getLogger(VolumeMounts.class);
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);

    private VolumeMounts() {
    }

    /**
     * Docker's node-side checks, before the container's bundle exists.
     *
     * @throws InvalidMountException with Docker's message
     */
    static void check(List<MountSpec> mounts) {
        for (MountSpec m : mounts) {
            if (m.type() == MountSpec.Type.BIND && !Files.exists(Path.of(m.source()))) {
                throw InvalidMountException.missingBindSource(m.source());
            }
            if (m.type() == MountSpec.Type.VOLUME && !m.volumeDriver().equals(MountSpec.LOCAL_DRIVER)) {
                throw InvalidMountException.unknownDriver(m.volumeDriver());
            }
        }
    }

    /** The volume a volume mount of container {@code id} uses: its source, or a name of its own for this container. */
    static String volumeName(String id, MountSpec m) {
        if (!m.source().isEmpty()) {
            return m.source();
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((id + "\0" + m.normalizedTarget()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Names of the named (with a source) and anonymous volumes of container {@code id}. */
    static List<String> volumes(String id, List<MountSpec> mounts, boolean anonymous) {
        List<String> names = new ArrayList<>();
        for (MountSpec m : mounts) {
            if (m.type() == MountSpec.Type.VOLUME && m.source().isEmpty() == anonymous) {
                names.add(volumeName(id, m));
            }
        }
        return names;
    }

    /**
     * Docker's copy-up: an empty volume gets what the image has at the target (files, owners, modes),
     * unless the mount says {@code volume-nocopy}. A target that is missing in the image, not a
     * directory, or reached through a symbolic link (which could lead out of the image) is not copied.
     */
    static void fill(Path imageRootfs, MountSpec m, Path data) throws IOException {
        if (m.noCopy() || !isEmpty(data)) {
            return;
        }
        Path from = imageRootfs;
        for (String part : m.normalizedTarget().substring(1).split("/")) {
            from = from.resolve(part);
            if (Files.isSymbolicLink(from)) {
                log.info("Not filling the volume at {} from the image: {} is a symbolic link there", m.target(),
                        imageRootfs.relativize(from));
                return;
            }
        }
        if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS) || isEmpty(from)) {
            return;
        }
        Commands.run(COPY_TIMEOUT, List.of("cp", "-a", "-T", "--", from.toString(), data.toString())).orThrow();
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    /** The OCI mounts ({@link OciConfig} orders them); {@code volumeData} gives a volume mount's host directory. */
    static List<Map<String, Object>> oci(List<MountSpec> mounts, Function<MountSpec, Path> volumeData) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MountSpec m : mounts) {
            List<String> options = new ArrayList<>();
            Map<String, Object> mount = new LinkedHashMap<>();
            mount.put("destination", m.normalizedTarget());
            switch (m.type()) {
                case BIND, VOLUME -> {
                    mount.put("type", "bind");
                    mount.put("source", m.type() == MountSpec.Type.BIND ? m.source() : volumeData.apply(m).toString());
                    options.add("rbind");
                    options.add(m.type() == MountSpec.Type.BIND ? m.propagation() : "rprivate");
                }
                case TMPFS -> {
                    mount.put("type", "tmpfs");
                    mount.put("source", "tmpfs");
                    // moby's defaults for a tmpfs mount, then its options.
                    options.addAll(List.of("noexec", "nosuid", "nodev", "rprivate"));
                    if (m.tmpfsMode() != 0) {
                        options.add("mode=" + Integer.toOctalString(m.tmpfsMode()));
                    }
                    if (m.tmpfsSizeBytes() != 0) {
                        options.add("size=" + tmpfsSize(m.tmpfsSizeBytes()));
                    }
                }
            }
            if (m.readOnly()) {
                options.add("ro");
            }
            mount.put("options", options);
            out.add(mount);
        }
        return out;
    }

    /** moby's tmpfs size: with the largest of g, m, k that divides it, else in bytes. */
    static String tmpfsSize(long bytes) {
        long[] divisors = {1L << 30, 1L << 20, 1L << 10};
        String[] suffixes = {"g", "m", "k"};
        for (int i = 0; i < divisors.length; i++) {
            if (bytes % divisors[i] == 0) {
                return bytes / divisors[i] + suffixes[i];
            }
        }
        return Long.toString(bytes);
    }
}
