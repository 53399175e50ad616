package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.SecretReference;
import dev.flotilla.api.v1.SecretSpec;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.cluster.store.StoreView;
import java.util.List;
import java.util.Optional;

/** Secrets as the API checks them ({@link FileObjects}, with swarmkit's "secret" messages). */
final class Secrets {

    /** swarmkit's validation.MaxSecretSize: a value must be shorter than this. */
    static final int MAX_SIZE = 500 * 1024;

    private Secrets() {
    }

    static void validate(SecretSpec spec) {
        FileObjects.validate("secret", spec.getName(), spec.getData().size(), MAX_SIZE);
    }

    static Secret find(StoreView view, String key) {
        return FileObjects.find("secret", key, view::findSecret);
    }

    /** The labels of {@code update} on {@code current}: nothing else of a secret changes. */
    static SecretSpec relabeled(Secret current, SecretSpec update) {
        FileObjects.requireLabelsOnly(current.getSpec().getName(), update.getName(), !update.getData().isEmpty());
        return current.getSpec().toBuilder().clearLabels().putAllLabels(update.getLabelsMap()).build();
    }

    /** swarmkit's refusal to remove a secret a service uses, or empty. */
    static Optional<String> inUse(StoreView view, Secret secret) {
        return FileObjects.inUse("secret", secret.getSpec().getName(), view.services().values().stream()
                .filter(s -> s.getSpec().getContainer().getSecretsList().stream()
                        .anyMatch(r -> r.getSecretId().equals(secret.getId())))
                .map(s -> s.getSpec().getName()).toList());
    }

    /** {@code spec} with each secret reference resolved ({@link FileObjects#resolve}). */
    static ServiceSpec resolve(StoreView view, ServiceSpec spec) {
        ContainerSpec c = spec.getContainer();
        if (c.getSecretsCount() == 0) {
            return spec;
        }
        List<FileObjects.Ref> refs = c.getSecretsList().stream()
                .map(r -> new FileObjects.Ref(r.getSecretId(), r.getSecretName(), r.hasFile() ? r.getFile() : null)).toList();
        List<SecretReference> resolved = FileObjects.resolve("secret", refs,
                id -> view.secret(id).map(Secrets::named),
                name -> view.secrets().values().stream().filter(s -> s.getSpec().getName().equals(name)).findFirst()
                        .map(Secrets::named))
                .stream().map(r -> SecretReference.newBuilder().setSecretId(r.id()).setSecretName(r.name())
                        .setFile(r.file()).build()).toList();
        return spec.toBuilder().setContainer(c.toBuilder().clearSecrets().addAllSecrets(resolved)).build();
    }

    private static FileObjects.Named named(Secret s) {
        return new FileObjects.Named(s.getId(), s.getSpec().getName());
    }
}
