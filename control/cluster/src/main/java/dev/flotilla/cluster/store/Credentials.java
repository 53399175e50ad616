package dev.flotilla.cluster.store;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;

/**
 * Registry credentials ({@code --with-registry-auth}) live in the store with the spec they came
 * with, and secrets with their value; these copies leave them out, for every API answer and for
 * what a node is sent of services and of other nodes' tasks.
 */
public final class Credentials {

    private Credentials() {
    }

    public static Service redacted(Service s) {
        if (!s.getSpec().getContainer().hasRegistryAuth() && !s.getPreviousSpec().getContainer().hasRegistryAuth()) {
            return s;
        }
        Service.Builder b = s.toBuilder().setSpec(redacted(s.getSpec()));
        if (s.hasPreviousSpec()) {
            b.setPreviousSpec(redacted(s.getPreviousSpec()));
        }
        return b.build();
    }

    public static ServiceSpec redacted(ServiceSpec spec) {
        return spec.getContainer().hasRegistryAuth()
                ? spec.toBuilder().setContainer(redacted(spec.getContainer())).build() : spec;
    }

    public static ContainerSpec redacted(ContainerSpec c) {
        return c.hasRegistryAuth() ? c.toBuilder().clearRegistryAuth().build() : c;
    }

    /** The secret without its value: what every answer about it holds. */
    public static Secret redacted(Secret s) {
        return s.getSpec().getData().isEmpty() ? s : s.toBuilder().setSpec(s.getSpec().toBuilder().clearData()).build();
    }

    public static Task redacted(Task t) {
        return t.getSpec().hasRegistryAuth() ? t.toBuilder().setSpec(redacted(t.getSpec())).build() : t;
    }
}
