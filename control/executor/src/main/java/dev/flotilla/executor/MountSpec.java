package dev.flotilla.executor;

import dev.flotilla.common.MountRules;
import java.util.Map;
import java.util.TreeMap;

/**
 * A file system mounted into a container at {@code target} (Docker's {@code --mount}).
 *
 * @param type what is mounted
 * @param source a volume's name ({@code null} or empty for the container's own anonymous volume), or
 *     for a bind an absolute path of this node; none for a tmpfs
 * @param target an absolute path in the container, not {@code /}
 * @param readOnly mounted read-only
 * @param noCopy a volume: do not fill it from the image when it is new and empty
 * @param volumeLabels labels a volume this mount creates gets
 * @param volumeDriver {@code null} or {@code local}, the only driver of a node
 * @param tmpfsSizeBytes a tmpfs's size; 0 for the kernel's default
 * @param tmpfsMode a tmpfs's mode; 0 for the kernel's 1777
 * @param propagation a bind's propagation; {@code null} for {@code rprivate}
 */
public record MountSpec(Type type, String source, String target, boolean readOnly, boolean noCopy,
        Map<String, String> volumeLabels, String volumeDriver, long tmpfsSizeBytes, int tmpfsMode,
        String propagation) {

    /** The driver every node has, and the only one. */
    public static final String LOCAL_DRIVER = "local";

    /** Docker's mount types this runtime mounts. */
    public enum Type { VOLUME, BIND, TMPFS }

    public MountSpec {
        if (type == null) {
            throw new IllegalArgumentException("mount at " + target + " needs a type");
        }
        source = source == null ? "" : source;
        MountRules.check(word(type), source, target);
        volumeLabels = volumeLabels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(volumeLabels));
        volumeDriver = volumeDriver == null || volumeDriver.isEmpty() ? LOCAL_DRIVER : volumeDriver;
        if (tmpfsSizeBytes < 0) {
            throw new IllegalArgumentException("invalid tmpfs size " + tmpfsSizeBytes);
        }
        if (tmpfsMode < 0 || tmpfsMode > 07777) {
            throw new IllegalArgumentException("invalid tmpfs mode " + Integer.toOctalString(tmpfsMode));
        }
        MountRules.checkPropagation(propagation);
        propagation = propagation == null || propagation.isEmpty() ? "rprivate" : propagation;
    }

    /** A named volume mount with no options. */
    public static MountSpec volume(String name, String target) {
        return new MountSpec(Type.VOLUME, name, target, false, false, Map.of(), null, 0, 0, null);
    }

    /** A bind mount of a path of this node. */
    public static MountSpec bind(String source, String target, boolean readOnly) {
        return new MountSpec(Type.BIND, source, target, readOnly, false, Map.of(), null, 0, 0, null);
    }

    /** A tmpfs of {@code sizeBytes} (0: the kernel's default) and {@code mode} (0: 1777). */
    public static MountSpec tmpfs(String target, long sizeBytes, int mode) {
        return new MountSpec(Type.TMPFS, "", target, false, false, Map.of(), null, sizeBytes, mode, null);
    }

    /** {@code target} cleaned of {@code .}, {@code ..}, empty and trailing components. */
    public String normalizedTarget() {
        return MountRules.clean(target);
    }

    /** Docker's word for a type: volume, bind, tmpfs. */
    static String word(Type type) {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }
}
