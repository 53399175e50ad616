package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.RegistryAuth;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import org.junit.jupiter.api.Test;

class CredentialsTest {

    private static final ContainerSpec WITH_AUTH = ContainerSpec.newBuilder().setImage("r.test/web:1")
            .setRegistryAuth(RegistryAuth.newBuilder().setUsername("alice").setPassword("s3cret")).build();

    @Test
    void redactedCopiesCarryNoCredentialsAndNothingElseChanges() {
        Service s = Service.newBuilder().setId("s1")
                .setSpec(ServiceSpec.newBuilder().setName("web").setContainer(WITH_AUTH))
                .setPreviousSpec(ServiceSpec.newBuilder().setName("web").setContainer(WITH_AUTH)).build();
        Service r = Credentials.redacted(s);
        assertThat(r.toString()).doesNotContain("s3cret").doesNotContain("alice");
        assertThat(r.getSpec().getContainer().getImage()).isEqualTo("r.test/web:1");
        assertThat(r.getSpec().getName()).isEqualTo("web");

        Task t = Task.newBuilder().setId("t1").setSpec(WITH_AUTH).build();
        assertThat(Credentials.redacted(t).toString()).doesNotContain("s3cret");
        Task plain = Task.newBuilder().setId("t2").setSpec(ContainerSpec.newBuilder().setImage("web")).build();
        assertThat(Credentials.redacted(plain)).isSameAs(plain);
    }
}
