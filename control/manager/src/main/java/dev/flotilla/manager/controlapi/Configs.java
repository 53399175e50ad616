package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.ConfigReference;
import dev.flotilla.api.v1.ConfigSpec;
import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.cluster.store.StoreView;
import java.util.List;
import java.util.Optional;

/** Configs as the API checks them ({@link FileObjects}, with swarmkit's "config" messages). */
final class Configs {

    /** swarmkit's MaxConfigSize (the docs say 500 KB; swarmkit takes up to 1000 KiB). */
    static final int MAX_SIZE = 1000 * 1024;

    private Configs() {
    }

    static void validate(ConfigSpec spec) {
        FileObjects.validate("config", spec.getName(), spec.getData().size(), MAX_SIZE);
    }

    static Config find(StoreView view, String key) {
        return FileObjects.find("config", key, view::findConfig);
    }

    /** The labels of {@code update} on {@code current}: a config is otherwise immutable. */
    static ConfigSpec relabeled(Config current, ConfigSpec update) {
        FileObjects.requireLabelsOnly(current.getSpec().getName(), update.getName(),
                !update.getData().isEmpty() && !update.getData().equals(current.getSpec().getData()));
        return current.getSpec().toBuilder().clearLabels().putAllLabels(update.getLabelsMap()).build();
    }

    static Optional<String> inUse(StoreView view, Config config) {
        return FileObjects.inUse("config", config.getSpec().getName(), view.services().values().stream()
                .filter(s -> s.getSpec().getContainer().getConfigsList().stream()
                        .anyMatch(r -> r.getConfigId().equals(config.getId())))
                .map(s -> s.getSpec().getName()).toList());
    }

    /** {@code spec} with each config reference resolved ({@link FileObjects#resolve}). */
    static ServiceSpec resolve(StoreView view, ServiceSpec spec) {
        ContainerSpec c = spec.getContainer();
        if (c.getConfigsCount() == 0) {
            return spec;
        }
        List<FileObjects.Ref> refs = c.getConfigsList().stream()
                .map(r -> new FileObjects.Ref(r.getConfigId(), r.getConfigName(), r.hasFile() ? r.getFile() : null)).toList();
        List<ConfigReference> resolved = FileObjects.resolve("config", refs,
                id -> view.config(id).map(Configs::named),
                name -> view.configs().values().stream().filter(x -> x.getSpec().getName().equals(name)).findFirst()
                        .map(Configs::named))
                .stream().map(r -> ConfigReference.newBuilder().setConfigId(r.id()).setConfigName(r.name())
                        .setFile(r.file()).build()).toList();
        return spec.toBuilder().setContainer(c.toBuilder().clearConfigs().addAllConfigs(resolved)).build();
    }

    private static FileObjects.Named named(Config x) {
        return new FileObjects.Named(x.getId(), x.getSpec().getName());
    }
}
