package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.cluster.store.Actions;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryStoreTest {

    private final MemoryStore store = new MemoryStore();

    private StoreResult apply(long index, dev.flotilla.api.raft.v1.StoreAction... actions) {
        return store.apply(StoreTransaction.newBuilder().addAllActions(java.util.List.of(actions)).build(), index);
    }

    @Test
    void versionIsTheRaftIndexAndUpdatesCompareAndSet() {
        assertThat(apply(7, Actions.create(StoreFixtures.service("s1", "web"))).getOk()).isTrue();
        Service stored = store.view().service("s1").orElseThrow();
        assertThat(stored.getMeta().getVersion()).isEqualTo(7);

        Service scaled = stored.toBuilder().setSpec(stored.getSpec().toBuilder().setReplicas(3)).build();
        assertThat(apply(8, Actions.update(scaled)).getOk()).isTrue();
        StoreResult stale = apply(9, Actions.update(scaled));
        assertThat(stale.getOk()).isFalse();
        assertThat(stale.getError()).contains("changed concurrently");
        assertThat(store.view().service("s1").orElseThrow().getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void aRefusedActionRefusesTheWholeTransaction() {
        apply(1, Actions.create(StoreFixtures.service("s1", "web")));
        StoreResult r = apply(2, Actions.create(StoreFixtures.service("s2", "api")), Actions.create(StoreFixtures.service("s3", "web")));
        assertThat(r.getOk()).isFalse();
        assertThat(r.getError()).isEqualTo("service web already exists");
        assertThat(r.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_NAME);
        assertThat(store.view().services()).containsOnlyKeys("s1");
        assertThat(store.view().index()).isEqualTo(1);
    }

    @Test
    void statusReportsOnlyMoveTasksForwardAndStaleOnesAreSkipped() {
        Task task = Task.newBuilder().setId("t1").setStatus(TaskStatus.newBuilder().setState(TaskState.ASSIGNED)).build();
        apply(1, Actions.create(task));
        apply(2, Actions.status("t1", Actions.status(TaskState.RUNNING, "started", 100)));
        StoreResult stale = apply(3, Actions.status("t1", Actions.status(TaskState.PREPARING, "late", 90)),
                Actions.create(StoreFixtures.service("s1", "web")));
        assertThat(stale.getOk()).isTrue();
        assertThat(store.view().task("t1").orElseThrow().getStatus().getState()).isEqualTo(TaskState.RUNNING);
        assertThat(store.view().services()).containsKey("s1");
    }

    @Test
    void snapshotRestoresTheSameState() {
        apply(1, Actions.create(StoreFixtures.service("s1", "web")));
        MemoryStore copy = new MemoryStore();
        copy.restore(store.snapshot(), 1);
        assertThat(copy.view().services()).isEqualTo(store.view().services());
    }

    @Test
    @SuppressWarnings("deprecation") // writes the strings as builds before the enums did
    void objectsOlderBuildsWroteReadAsTheEnumsTheirStringsMeant() throws Exception {
        PortConfig udp = PortConfig.newBuilder().setLegacyProtocol("udp").setLegacyPublishMode("ingress")
                .setPublishedPort(5353).setTargetPort(53).build();
        Service old = StoreFixtures.service("s1", "dns").toBuilder()
                .setSpec(ServiceSpec.newBuilder().setName("dns").setLegacyEndpointMode("dnsrr")
                        .setRestart(RestartPolicy.newBuilder().setLegacyCondition("on-failure").setDelayMs(5000)))
                .addEndpointPorts(udp).build();
        Task oldTask = Task.newBuilder().setId("t1").setServiceId("s1").addPorts(udp)
                .setRestart(RestartPolicy.newBuilder().setLegacyCondition("none")).build();
        StoreTransaction logEntry = StoreTransaction.parseFrom(StoreTransaction.newBuilder()
                .addActions(Actions.create(old)).addActions(Actions.create(oldTask)).build().toByteArray());

        assertThat(store.apply(logEntry, 1).getOk()).isTrue();
        MemoryStore restored = new MemoryStore();
        restored.restore(StoreSnapshot.newBuilder().addServices(old).addTasks(oldTask).build(), 1);

        for (StoreView v : List.of(store.view(), restored.view())) {
            Service s = v.services().get("s1");
            assertThat(s.getSpec().getEndpointMode()).isEqualTo(ServiceSpec.EndpointMode.DNSRR);
            assertThat(s.getSpec().getRestart().getCondition()).isEqualTo(RestartPolicy.Condition.ON_FAILURE);
            assertThat(s.getSpec().getRestart().getDelayMs()).isEqualTo(5000);
            assertThat(s.getEndpointPortsList()).extracting(PortConfig::getProtocol, PortConfig::getPublishMode)
                    .containsExactly(tuple(PortConfig.Protocol.UDP, PortConfig.PublishMode.INGRESS));
            assertThat(s.getEndpointPorts(0).getLegacyProtocol()).isEmpty();
            Task t = v.tasks().get("t1");
            assertThat(t.getPorts(0).getProtocol()).isEqualTo(PortConfig.Protocol.UDP);
            assertThat(t.getRestart().getCondition()).isEqualTo(RestartPolicy.Condition.NONE);
        }
    }

    private static dev.flotilla.api.v1.Secret secret(String id, String name) {
        return dev.flotilla.api.v1.Secret.newBuilder().setId(id).setSpec(dev.flotilla.api.v1.SecretSpec.newBuilder()
                .setName(name).setData(com.google.protobuf.ByteString.copyFromUtf8("v"))).build();
    }

    private static Service usingSecret(String id, String name, String secretId) {
        Service s = StoreFixtures.service(id, name);
        return s.toBuilder().setSpec(s.getSpec().toBuilder().setContainer(s.getSpec().getContainer().toBuilder()
                .addSecrets(dev.flotilla.api.v1.SecretReference.newBuilder().setSecretId(secretId).setSecretName("pw")))).build();
    }

    @Test
    void secretNamesAreUniqueAServiceNamesOnlySecretsThatExistAndAUsedSecretStays() {
        assertThat(apply(1, Actions.create(secret("x1", "pw"))).getOk()).isTrue();
        StoreResult twice = apply(2, Actions.create(secret("x2", "pw")));
        assertThat(twice.getError()).isEqualTo("secret pw already exists");
        assertThat(twice.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_NAME);

        StoreResult dangling = apply(3, Actions.create(usingSecret("s1", "db", "gone")));
        assertThat(dangling.getOk()).isFalse();
        assertThat(dangling.getError()).isEqualTo("secret not found: pw");

        assertThat(apply(4, Actions.create(usingSecret("s1", "db", "x1"))).getOk()).isTrue();
        StoreResult inUse = apply(5, Actions.remove(secret("x1", "pw")));
        assertThat(inUse.getOk()).isFalse();
        assertThat(inUse.getError()).isEqualTo("secret 'pw' is in use by the following service: db");
        assertThat(store.view().secrets()).containsOnlyKeys("x1");

        apply(6, Actions.remove(store.view().service("s1").orElseThrow()));
        assertThat(apply(7, Actions.remove(secret("x1", "pw"))).getOk()).isTrue();
        assertThat(store.view().secrets()).isEmpty();
    }

    @Test
    void secretsAreInTheSnapshotAndComeBackFromIt() {
        apply(1, Actions.create(secret("x1", "pw")));
        MemoryStore restored = new MemoryStore();
        restored.restore(store.snapshot(), 1);
        assertThat(restored.view().findSecret("pw")).hasValueSatisfying(s ->
                assertThat(s.getSpec().getData().toStringUtf8()).isEqualTo("v"));
    }

    @Test
    void configNamesAreUniqueAndAUsedConfigStays() {
        dev.flotilla.api.v1.Config conf = dev.flotilla.api.v1.Config.newBuilder().setId("c1")
                .setSpec(dev.flotilla.api.v1.ConfigSpec.newBuilder().setName("app_conf")
                        .setData(com.google.protobuf.ByteString.copyFromUtf8("x=1"))).build();
        assertThat(apply(1, Actions.create(conf)).getOk()).isTrue();
        assertThat(apply(2, Actions.create(conf.toBuilder().setId("c2").build())).getError())
                .isEqualTo("config app_conf already exists");
        Service s = StoreFixtures.service("s1", "app");
        Service using = s.toBuilder().setSpec(s.getSpec().toBuilder().setContainer(s.getSpec().getContainer().toBuilder()
                .addConfigs(dev.flotilla.api.v1.ConfigReference.newBuilder().setConfigId("c1").setConfigName("app_conf")))).build();
        assertThat(apply(3, Actions.create(using.toBuilder().setSpec(using.getSpec().toBuilder().setContainer(
                using.getSpec().getContainer().toBuilder().setConfigs(0, dev.flotilla.api.v1.ConfigReference.newBuilder()
                        .setConfigId("nope").setConfigName("gone")))).build())).getError()).isEqualTo("config not found: gone");
        assertThat(apply(4, Actions.create(using)).getOk()).isTrue();
        assertThat(apply(5, Actions.remove(conf)).getError()).isEqualTo("config 'app_conf' is in use by the following service: app");
        assertThat(store.view().configs()).containsOnlyKeys("c1");
    }
}
