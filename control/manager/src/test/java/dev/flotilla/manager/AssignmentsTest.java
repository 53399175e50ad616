package dev.flotilla.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.RegistryAuth;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class AssignmentsTest {

    private static final ContainerSpec WITH_AUTH = ContainerSpec.newBuilder().setImage("r.test/web:1")
            .setRegistryAuth(RegistryAuth.newBuilder().setUsername("alice").setPassword("s3cret")).build();

    private static Task running(String id, String node) {
        return Task.newBuilder().setId(id).setServiceId("s1").setNodeId(node).setSpec(WITH_AUTH)
                .setDesiredState(TaskState.RUNNING).setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING)).build();
    }

    @Test
    void aNodeGetsRegistryCredentialsOnlyInItsOwnTasks() {
        StoreFixtures store = new StoreFixtures();
        store.commit(List.of(Actions.create(Node.newBuilder().setId("a").build()),
                Actions.create(Node.newBuilder().setId("b").build()),
                Actions.create(Service.newBuilder().setId("s1")
                        .setSpec(ServiceSpec.newBuilder().setName("web").setContainer(WITH_AUTH)).build()),
                Actions.create(running("t-a", "a")), Actions.create(running("t-b", "b"))));

        StoreSnapshot forA = Dispatcher.assignments(store.view(), "a");

        assertThat(forA.getServicesList()).singleElement()
                .satisfies(s -> assertThat(s.getSpec().getContainer().hasRegistryAuth()).isFalse());
        assertThat(forA.getTasksList()).hasSize(2).allSatisfy(t ->
                assertThat(t.getSpec().hasRegistryAuth()).as(t.getId()).isEqualTo(t.getNodeId().equals("a")));
    }

    @Test
    void aNodeGetsOnlyTheSecretsItsOwnLiveTasksUse() {
        StoreFixtures store = new StoreFixtures();
        dev.flotilla.api.v1.SecretReference pwRef = dev.flotilla.api.v1.SecretReference.newBuilder()
                .setSecretId("x-pw").setSecretName("pw").build();
        dev.flotilla.api.v1.SecretReference keyRef = dev.flotilla.api.v1.SecretReference.newBuilder()
                .setSecretId("x-key").setSecretName("key").build();
        Task onA = running("t-a", "a").toBuilder().setSpec(WITH_AUTH.toBuilder().addSecrets(pwRef)).build();
        Task onB = running("t-b", "b").toBuilder().setSpec(WITH_AUTH.toBuilder().addSecrets(keyRef)).build();
        Task endedOnA = running("t-a0", "a").toBuilder().setSpec(WITH_AUTH.toBuilder().addSecrets(keyRef))
                .setStatus(TaskStatus.newBuilder().setState(TaskState.SHUTDOWN)).build();
        store.commit(List.of(Actions.create(Node.newBuilder().setId("a").build()),
                Actions.create(Node.newBuilder().setId("b").build()),
                Actions.create(secret("x-pw", "pw")), Actions.create(secret("x-key", "key")),
                Actions.create(onA), Actions.create(onB), Actions.create(endedOnA)));

        assertThat(Dispatcher.assignments(store.view(), "a").getSecretsList()).extracting(s -> s.getId())
                .containsExactly("x-pw");
        assertThat(Dispatcher.assignments(store.view(), "b").getSecretsList()).singleElement()
                .satisfies(s -> assertThat(s.getSpec().getData().toStringUtf8()).isEqualTo("value of key"));
        assertThat(Dispatcher.assignments(store.view(), "c").getSecretsList()).isEmpty();
    }

    private static dev.flotilla.api.v1.Secret secret(String id, String name) {
        return dev.flotilla.api.v1.Secret.newBuilder().setId(id).setSpec(dev.flotilla.api.v1.SecretSpec.newBuilder()
                .setName(name).setData(com.google.protobuf.ByteString.copyFromUtf8("value of " + name))).build();
    }

    @Test
    void aNodeNeverGetsTheCaKeyJoinTokensOrUnlockKey() {
        StoreFixtures store = new StoreFixtures();
        store.commit(List.of(dev.flotilla.api.raft.v1.StoreAction.newBuilder().setCluster(dev.flotilla.api.v1.Cluster.newBuilder()
                .setId("c1").setRootCaKeyPem("KEY").setAutolock(true).setUnlockKey("SWMKEY-1-x")
                .setJoinTokens(dev.flotilla.api.v1.JoinTokens.newBuilder().setWorker("w").setManager("m"))).build()));

        assertThat(Dispatcher.assignments(store.view(), "a").getClustersList()).singleElement().satisfies(c -> {
            assertThat(c.getRootCaKeyPem()).isEmpty();
            assertThat(c.getUnlockKey()).isEmpty();
            assertThat(c.hasJoinTokens()).isFalse();
            assertThat(c.getAutolock()).isTrue();
        });
    }
}
