package dev.flotilla.cli;

import dev.flotilla.api.v1.Mount;
import dev.flotilla.api.v1.TmpfsOptions;
import dev.flotilla.api.v1.VolumeOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code --mount type=volume|bind|tmpfs,source=,target=,...}: docker/cli's {@code opts.MountOpt}
 * (CSV fields, its keys and their aliases, its messages), and {@code --mount-add}/{@code --mount-rm}
 * as {@code service update} applies them.
 */
final class MountOption {

    private static final Set<String> BOOLEANS = Set.of("readonly", "ro", "volume-nocopy", "bind-nonrecursive",
            "bind-create-src");

    private MountOption() {
    }

    /** One {@code --mount} value (or {@code --mount-add}, named by {@code flag}). */
    static Mount parse(String flag, String value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid argument \"" + value + "\" for \"" + flag + "\" flag: "
                    + e.getMessage(), e);
        }
    }

    static Mount parse(String value) {
        value = value.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException("value is empty");
        }
        String type = "volume";
        Mount.Builder m = Mount.newBuilder();
        VolumeOptions.Builder volume = null;
        TmpfsOptions.Builder tmpfs = null;
        boolean bindOptions = false;
        for (String field : FileRefOption.csv("--mount", value)) {
            int eq = field.indexOf('=');
            boolean hasValue = eq >= 0;
            String key = hasValue ? field.substring(0, eq) : field;
            String val = hasValue ? field.substring(eq + 1) : "";
            if (!key.strip().equals(key)) {
                throw new IllegalArgumentException("invalid option '" + key.strip() + "' in '" + field
                        + "': option should not have whitespace");
            }
            if (hasValue) {
                if (val.isBlank()) {
                    throw new IllegalArgumentException("invalid value for '" + key + "': value is empty");
                }
                if (!val.strip().equals(val)) {
                    throw new IllegalArgumentException("invalid value for '" + key + "' in '" + field
                            + "': value should not have whitespace");
                }
            }
            key = key.toLowerCase(Locale.ROOT);
            if (!hasValue && !BOOLEANS.contains(key)) {
                throw new IllegalArgumentException("invalid field '" + field + "' must be a key=value pair");
            }
            switch (key) {
                case "type" -> type = val.toLowerCase(Locale.ROOT);
                case "source", "src" -> m.setSource(!val.startsWith("/") && val.startsWith(".")
                        ? Path.of(val).toAbsolutePath().normalize().toString() : val);
                case "target", "dst", "destination" -> m.setTarget(val);
                case "readonly", "ro" -> m.setReadOnly(bool(key, val, hasValue));
                case "bind-propagation" -> {
                    bindOptions = true;
                    m.setBindPropagation(val.toLowerCase(Locale.ROOT));
                }
                case "bind-nonrecursive" -> throw new IllegalArgumentException(
                        "bind-nonrecursive is deprecated, use bind-recursive=disabled instead");
                case "volume-nocopy" -> {
                    volume = volume == null ? VolumeOptions.newBuilder() : volume;
                    volume.setNoCopy(bool(key, val, hasValue));
                }
                case "volume-label" -> {
                    volume = volume == null ? VolumeOptions.newBuilder() : volume;
                    putKeyValue(volume.getMutableLabels(), val);
                }
                case "volume-driver" -> {
                    volume = volume == null ? VolumeOptions.newBuilder() : volume;
                    volume.setDriver(val);
                }
                case "volume-opt" -> {
                    volume = volume == null ? VolumeOptions.newBuilder() : volume;
                    putKeyValue(volume.getMutableDriverOptions(), val);
                }
                case "tmpfs-size" -> {
                    tmpfs = tmpfs == null ? TmpfsOptions.newBuilder() : tmpfs;
                    try {
                        tmpfs.setSizeBytes(ResourceFlags.ramInBytes(val, "--mount"));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("invalid value for " + key + ": " + val);
                    }
                }
                case "tmpfs-mode" -> {
                    tmpfs = tmpfs == null ? TmpfsOptions.newBuilder() : tmpfs;
                    try {
                        long mode = Long.parseLong(val, 8);
                        if (mode < 0 || mode > 0xFFFFFFFFL) {
                            throw new NumberFormatException();
                        }
                        tmpfs.setMode((int) mode);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("invalid value for " + key + ": " + val);
                    }
                }
                case "bind-recursive", "bind-create-src", "consistency", "volume-subpath", "image-subpath" ->
                        throw new IllegalArgumentException("option '" + key + "' is not supported by Flotilla");
                default -> throw new IllegalArgumentException("unknown option '" + key + "' in '" + field + "'");
            }
        }
        if (type.isEmpty()) {
            throw new IllegalArgumentException("type is required");
        }
        if (!type.equals("bind") && bindOptions) {
            throw new IllegalArgumentException("cannot mix 'bind-*' options with mount type '" + type + "'");
        }
        if (!type.equals("volume") && volume != null) {
            throw new IllegalArgumentException("cannot mix 'volume-*' options with mount type '" + type + "'");
        }
        if (!type.equals("tmpfs") && tmpfs != null) {
            throw new IllegalArgumentException("cannot mix 'tmpfs-*' options with mount type '" + type + "'");
        }
        m.setType(switch (type) {
            case "volume" -> Mount.Type.VOLUME;
            case "bind" -> Mount.Type.BIND;
            case "tmpfs" -> Mount.Type.TMPFS;
            default -> throw new IllegalArgumentException("invalid mount type: " + type
                    + " (Flotilla mounts volume, bind and tmpfs)");
        });
        if (volume != null) {
            m.setVolume(volume);
        }
        if (tmpfs != null) {
            m.setTmpfs(tmpfs);
        }
        return m.build();
    }

    /** docker/cli's parseBoolValue: no value is true; else only 1, true, 0, false. */
    private static boolean bool(String key, String val, boolean hasValue) {
        if (!hasValue) {
            return true;
        }
        return switch (val) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw new IllegalArgumentException("invalid value for '" + key + "': invalid boolean value (\""
                    + val + "\"): must be one of \"true\", \"1\", \"false\", or \"0\" (default \"true\")");
        };
    }

    /** docker/cli's setValueOnMap: {@code k=v}, or {@code k} for an empty value; an empty key is dropped. */
    private static void putKeyValue(Map<String, String> map, String keyValue) {
        int eq = keyValue.indexOf('=');
        String k = eq < 0 ? keyValue : keyValue.substring(0, eq);
        if (!k.isEmpty()) {
            map.put(k, eq < 0 ? "" : keyValue.substring(eq + 1));
        }
    }

    /**
     * docker/cli's updateMounts: the added mounts replace those at the same target, the removed
     * targets go, and the result is sorted by source, then target.
     */
    static List<Mount> update(List<Mount> current, List<String> add, List<String> remove) {
        Map<String, Mount> byTarget = new LinkedHashMap<>();
        for (String a : add) {
            Mount m = parse("--mount-add", a);
            if (byTarget.putIfAbsent(m.getTarget(), m) != null) {
                throw new IllegalArgumentException("duplicate mount target");
            }
        }
        for (Mount m : current) {
            byTarget.putIfAbsent(m.getTarget(), m);
        }
        List<Mount> out = new ArrayList<>();
        for (Mount m : byTarget.values()) {
            if (!remove.contains(m.getTarget())) {
                out.add(m);
            }
        }
        out.sort(Comparator.comparing(Mount::getSource).thenComparing(Mount::getTarget));
        return out;
    }

    /** Docker's word for a mount type. */
    static String word(Mount.Type type) {
        return type.name().toLowerCase(Locale.ROOT);
    }
}
