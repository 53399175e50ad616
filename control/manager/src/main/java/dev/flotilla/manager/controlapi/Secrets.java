package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.SecretReference;
import dev.flotilla.api.v1.SecretSpec;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Secrets as the API checks them, with swarmkit's messages: names, sizes, labels-only updates,
 * and a service's references to them (each resolved to an existing secret, each target once).
 */
final class Secrets {

    /** swarmkit's validation.MaxSecretSize: a value must be shorter than this. */
    static final int MAX_SIZE = 500 * 1024;
    /** swarmkit's isValidConfigOrSecretName, at most 64 characters. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?");
    /** Docker's default file mode of a secret (and a config) in a task. */
    static final int DEFAULT_MODE = 0444;

    private Secrets() {
    }

    static void validate(SecretSpec spec) {
        validateName(spec.getName());
        int size = spec.getData().size();
        if (size >= MAX_SIZE || size < 1) {
            throw Errors.invalid("secret data must be larger than 0 and less than " + MAX_SIZE + " bytes");
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

    static Secret find(StoreView view, String key) {
        if (key.isEmpty()) {
            throw Errors.invalid("secret ID must be provided");
        }
        return view.findSecret(key).orElseThrow(() -> Errors.notFound("secret " + key + " not found"));
    }

    /** The labels of {@code update} on {@code current}: nothing else of a secret changes. */
    static SecretSpec relabeled(Secret current, SecretSpec update) {
        if (!update.getName().equals(current.getSpec().getName()) || !update.getData().isEmpty()) {
            throw Errors.invalid("only updates to Labels are allowed");
        }
        return current.getSpec().toBuilder().clearLabels().putAllLabels(update.getLabelsMap()).build();
    }

    /** swarmkit's refusal to remove a secret a service uses, or empty. */
    static Optional<String> inUse(StoreView view, Secret secret) {
        List<String> users = view.services().values().stream()
                .filter(s -> uses(s, secret.getId()))
                .map(s -> s.getSpec().getName()).sorted().toList();
        if (users.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("secret '" + secret.getSpec().getName() + "' is in use by the following "
                + (users.size() == 1 ? "service" : "services") + ": " + String.join(", ", users));
    }

    static boolean uses(Service s, String secretId) {
        return s.getSpec().getContainer().getSecretsList().stream().anyMatch(r -> r.getSecretId().equals(secretId));
    }

    /**
     * {@code spec} with each secret reference naming an existing secret by id and name, with
     * Docker's defaults for what it leaves out (target = name, uid and gid 0, mode 0444). A
     * reference may give the name only (the flotilla CLI's) or the id (the docker CLI's).
     */
    static ServiceSpec resolve(StoreView view, ServiceSpec spec) {
        ContainerSpec c = spec.getContainer();
        if (c.getSecretsCount() == 0) {
            return spec;
        }
        List<SecretReference> resolved = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, String> targets = new HashMap<>();
        for (SecretReference ref : c.getSecretsList()) {
            Optional<Secret> found = ref.getSecretId().isEmpty()
                    ? view.secrets().values().stream().filter(s -> s.getSpec().getName().equals(ref.getSecretName())).findFirst()
                    : view.secret(ref.getSecretId()).filter(s -> ref.getSecretName().isEmpty()
                            || s.getSpec().getName().equals(ref.getSecretName()));
            if (ref.getSecretId().isEmpty() && ref.getSecretName().isEmpty()) {
                throw Errors.invalid("malformed secret reference");
            }
            if (found.isEmpty()) {
                missing.add(ref.getSecretName().isEmpty() ? ref.getSecretId() : ref.getSecretName());
                continue;
            }
            Secret secret = found.get();
            FileTarget.Builder file = ref.hasFile() ? ref.getFile().toBuilder()
                    : FileTarget.newBuilder().setMode(DEFAULT_MODE);
            if (file.getName().isEmpty()) {
                file.setName(secret.getSpec().getName());
            }
            if (file.getUid().isEmpty()) {
                file.setUid("0");
            }
            if (file.getGid().isEmpty()) {
                file.setGid("0");
            }
            validateTarget(file.getName());
            validateOwner(file.getUid(), "uid");
            validateOwner(file.getGid(), "gid");
            if (file.getMode() > 07777) {
                throw Errors.invalid("invalid mode " + Integer.toOctalString(file.getMode()) + " for secret "
                        + secret.getSpec().getName());
            }
            String name = secret.getSpec().getName();
            String before = targets.putIfAbsent(file.getName(), name);
            if (before != null) {
                throw Errors.invalid("secret references '" + before + "' and '" + name + "' have a conflicting target: '"
                        + file.getName() + "'");
            }
            resolved.add(SecretReference.newBuilder().setSecretId(secret.getId()).setSecretName(name).setFile(file).build());
        }
        if (!missing.isEmpty()) {
            throw Errors.invalid((missing.size() == 1 ? "secret" : "secrets") + " not found: " + String.join(", ", missing));
        }
        return spec.toBuilder().setContainer(c.toBuilder().clearSecrets().addAllSecrets(resolved)).build();
    }

    /**
     * A target is a file name under /run/secrets or an absolute path; never one that climbs out
     * ({@code ..}) or names a directory.
     */
    private static void validateTarget(String target) {
        boolean bad = target.endsWith("/") || target.indexOf('\0') >= 0
                || java.util.Arrays.asList(target.split("/")).contains("..") || target.equals("/");
        if (bad) {
            throw Errors.invalid("malformed file secret reference, invalid target file name provided");
        }
    }

    private static void validateOwner(String id, String what) {
        if (!id.matches("[0-9]{1,10}") || Long.parseLong(id) > 0xFFFF_FFFEL) {
            throw Errors.invalid("invalid " + what + " \"" + id + "\": expected a numeric id");
        }
    }
}
