package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreConstraints;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What secrets and configs share, as swarmkit checks them: names, sizes, labels-only updates,
 * and a service's references to them, each resolved to an existing object and each target once.
 * {@code kind} ("secret" or "config") is the word swarmkit's messages use.
 */
final class FileObjects {

    /** swarmkit's isValidConfigOrSecretName, at most 64 characters. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?");
    /** Docker's default file mode of a secret or config in a task. */
    static final int DEFAULT_MODE = 0444;

    /** A reference as a service spec holds it: by id, by name, or both; a target or none yet. */
    record Ref(String id, String name, FileTarget file) {
    }

    /** An object a reference may name. */
    record Named(String id, String name) {
    }

    private FileObjects() {
    }

    static void validate(String kind, String name, int size, int maxSize) {
        validateName(name);
        if (size >= maxSize || size < 1) {
            throw Errors.invalid(kind + " data must be larger than 0 and less than " + maxSize + " bytes");
        }
    }

    static void validateName(String name) {
        if (name.isEmpty()) {
            throw Errors.invalid("name must be provided");
        }
        if (name.length() > 64 || !NAME.matcher(name).matches()) {
            throw Errors.invalid("invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end "
                    + "character must be [a-zA-Z0-9]");
        }
    }

    /** swarmkit's UpdateSecret/UpdateConfig: the name stays and no data comes. */
    static void requireLabelsOnly(String currentName, String newName, boolean hasData) {
        if (!newName.equals(currentName) || hasData) {
            throw Errors.invalid("only updates to Labels are allowed");
        }
    }

    static <T> T find(String kind, String key, Function<String, Optional<T>> lookup) {
        if (key.isEmpty()) {
            throw Errors.invalid(kind + " ID must be provided");
        }
        return lookup.apply(key).orElseThrow(() -> Errors.notFound(kind + " " + key + " not found"));
    }

    static Optional<String> inUse(String kind, String name, List<String> users) {
        return StoreConstraints.inUseMessage(kind, name, users.stream().sorted().toList());
    }

    /**
     * Each reference naming an existing object by id and name, with Docker's defaults for what it
     * leaves out (target = the name, uid and gid 0, mode 0444).
     */
    static List<Ref> resolve(String kind, List<Ref> refs, Function<String, Optional<Named>> byId,
            Function<String, Optional<Named>> byName) {
        List<Ref> resolved = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, String> targets = new HashMap<>();
        for (Ref ref : refs) {
            if (ref.id().isEmpty() && ref.name().isEmpty()) {
                throw Errors.invalid("malformed " + kind + " reference");
            }
            Optional<Named> found = ref.id().isEmpty() ? byName.apply(ref.name())
                    : byId.apply(ref.id()).filter(o -> ref.name().isEmpty() || o.name().equals(ref.name()));
            if (found.isEmpty()) {
                missing.add(ref.name().isEmpty() ? ref.id() : ref.name());
                continue;
            }
            Named o = found.get();
            FileTarget.Builder file = ref.file() != null ? ref.file().toBuilder() : FileTarget.newBuilder().setMode(DEFAULT_MODE);
            if (file.getName().isEmpty()) {
                file.setName(o.name());
            }
            if (file.getUid().isEmpty()) {
                file.setUid("0");
            }
            if (file.getGid().isEmpty()) {
                file.setGid("0");
            }
            validateTarget(kind, file.getName());
            validateOwner(file.getUid(), "uid");
            validateOwner(file.getGid(), "gid");
            if (file.getMode() > 07777) {
                throw Errors.invalid("invalid mode " + Integer.toOctalString(file.getMode()) + " for " + kind + " " + o.name());
            }
            String before = targets.putIfAbsent(file.getName(), o.name());
            if (before != null) {
                throw Errors.invalid(kind + " references '" + before + "' and '" + o.name() + "' have a conflicting target: '"
                        + file.getName() + "'");
            }
            resolved.add(new Ref(o.id(), o.name(), file.build()));
        }
        if (!missing.isEmpty()) {
            throw Errors.invalid(StoreConstraints.notFound(kind, missing));
        }
        return resolved;
    }

    /** A file name or an absolute path; never one that climbs out ({@code ..}) or names a directory. */
    private static void validateTarget(String kind, String target) {
        boolean bad = target.endsWith("/") || target.indexOf('\0') >= 0
                || Arrays.asList(target.split("/")).contains("..") || target.equals("/");
        if (bad) {
            throw Errors.invalid("malformed file " + kind + " reference, invalid target file name provided");
        }
    }

    private static void validateOwner(String id, String what) {
        if (!id.matches("[0-9]{1,10}") || Long.parseLong(id) > 0xFFFF_FFFEL) {
            throw Errors.invalid("invalid " + what + " \"" + id + "\": expected a numeric id");
        }
    }
}
