package dev.flotilla.common;

import java.util.ArrayDeque;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Docker's rules for a mount (moby's {@code executor/container/validate.go} and the local volume
 * driver's names), in Docker's words; the API checks a spec with them and each node again.
 */
public final class MountRules {

    /** moby's {@code volumeNameRegex} for local volumes. */
    private static final Pattern VOLUME_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]+");

    private static final Set<String> PROPAGATIONS = Set.of("private", "rprivate", "shared", "rshared", "slave", "rslave");

    private MountRules() {
    }

    /**
     * Checks a mount of {@code type} ({@code volume}, {@code bind} or {@code tmpfs}); an empty
     * volume source is the task's own anonymous volume.
     *
     * @throws IllegalArgumentException with Docker's message
     */
    public static void check(String type, String source, String target) {
        if (target == null || !target.startsWith("/")) {
            throw new IllegalArgumentException("invalid mount target, must be an absolute path: " + target);
        }
        if (clean(target).equals("/")) {
            throw new IllegalArgumentException("invalid mount config for type \"" + type
                    + "\": invalid specification: destination can't be '/'");
        }
        switch (type) {
            case "bind" -> {
                if (!source.startsWith("/")) {
                    throw new IllegalArgumentException("invalid bind mount source, must be an absolute path: " + source);
                }
            }
            case "volume" -> {
                if (source.startsWith("/")) {
                    throw new IllegalArgumentException("invalid volume mount source, must not be an absolute path: "
                            + source);
                }
                if (!source.isEmpty()) {
                    requireValidVolumeName(source);
                }
            }
            case "tmpfs" -> {
                if (!source.isEmpty()) {
                    throw new IllegalArgumentException("invalid tmpfs source, source must be empty");
                }
            }
            default -> throw new IllegalArgumentException("invalid mount type: " + type);
        }
    }

    /** A bind's propagation: empty (rprivate) or one of Linux's six. */
    public static void checkPropagation(String propagation) {
        if (propagation != null && !propagation.isEmpty() && !PROPAGATIONS.contains(propagation)) {
            throw new IllegalArgumentException("invalid mount config for type \"bind\": invalid propagation mode: "
                    + propagation);
        }
    }

    /** @throws IllegalArgumentException with Docker's message, unless {@code name} is a valid local volume name */
    public static String requireValidVolumeName(String name) {
        if (name == null || !VOLUME_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("\"" + name + "\" includes invalid characters for a local volume name, "
                    + "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use "
                    + "absolute path");
        }
        return name;
    }

    public static boolean isValidVolumeName(String name) {
        return name != null && VOLUME_NAME.matcher(name).matches();
    }

    /** The path with {@code .}, {@code ..} and empty components resolved lexically, as Go's {@code path.Clean}. */
    public static String clean(String path) {
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                parts.pollLast();
            } else if (!part.isEmpty() && !part.equals(".")) {
                parts.addLast(part);
            }
        }
        return "/" + String.join("/", parts);
    }
}
