package dev.flotilla.manager.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.ControlGrpc;
import dev.flotilla.api.v1.CreateNetworkRequest;
import dev.flotilla.api.v1.CreateServiceRequest;
import dev.flotilla.api.v1.GetNetworkRequest;
import dev.flotilla.api.v1.GetNodeRequest;
import dev.flotilla.api.v1.GetServiceRequest;
import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.InitSwarmResponse;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.JoinSwarmResponse;
import dev.flotilla.api.v1.JoinTokenResponse;
import dev.flotilla.api.v1.ListNetworksRequest;
import dev.flotilla.api.v1.ListNodesRequest;
import dev.flotilla.api.v1.ListNodesResponse;
import dev.flotilla.api.v1.ListServicesRequest;
import dev.flotilla.api.v1.ListServicesResponse;
import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.UpdateNodeRequest;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.RemoveNodeRequest;
import dev.flotilla.api.v1.RemoveServiceRequest;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.ScaleServiceRequest;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.ServiceResponse;
import dev.flotilla.api.v1.UpdateServiceRequest;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.manager.Manager;
import dev.flotilla.manager.OneManager;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster API as the CLI calls it, over in-process gRPC, on a manager whose store commits locally:
 * what comes back, and the code and sentence of every refusal (the CLI prints the sentence).
 */
@Timeout(60)
class ControlServiceTest {

    @TempDir
    Path dir;
    private OneManager one;
    private Server server;
    private ManagedChannel channel;
    private ControlGrpc.ControlBlockingStub control;

    @BeforeEach
    void start() throws Exception {
        one = new OneManager(dir);
        one.write(StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setCluster(Cluster.newBuilder()
                        .setId("cluster1").setDefaultAddrPool("10.0.0.0/8").setSubnetSize(20)).build(),
                Actions.create(Node.newBuilder().setId(OneManager.SELF).setRole(NodeRole.MANAGER).setHostname("m-host")
                        .setState(NodeState.NODE_READY).build()),
                Actions.create(Node.newBuilder().setId("worker1abc").setRole(NodeRole.WORKER).setHostname("w-host")
                        .setState(NodeState.NODE_READY).build()));
        control = serve(new LocalSwarmStub(Optional.of(one.manager())));
    }

    /** What the test's registry says: a digest for its own images, nothing for any other. */
    private static final String NGINX_DIGEST = "sha256:" + "ab".repeat(32);
    private final java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

    private String digest(String image, dev.flotilla.api.v1.RegistryAuth auth) {
        asked.add(image);
        if (image.startsWith("registry.test/")) {
            return NGINX_DIGEST;
        }
        throw new IllegalStateException("reading manifest in " + image + ": manifest unknown");
    }

    private ControlGrpc.ControlBlockingStub serve(ControlService.Swarm swarm) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new ControlService(swarm, (port, protocol) -> Optional.empty(), this::digest))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        return ControlGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (one != null) {
            one.close();
        }
    }

    private static ServiceSpec web(String name) {
        return ServiceSpec.newBuilder().setName(name).setReplicas(2)
                .setContainer(ContainerSpec.newBuilder().setImage("nginx:1.25")).build();
    }

    private Service create(ServiceSpec spec) {
        return control.createService(CreateServiceRequest.newBuilder().setSpec(spec).build()).getService();
    }

    private static void assertRefused(ThrowingCallable call, Status.Code code, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).isEqualTo(message);
        });
    }

    @Test
    void theImageIsPinnedToItsRegistrysDigestOrKeepsItsTagWithAWarning() {
        ServiceSpec remote = web("web").toBuilder()
                .setContainer(ContainerSpec.newBuilder().setImage("registry.test/nginx:1.25")).build();
        ServiceResponse pinned = control.createService(CreateServiceRequest.newBuilder().setSpec(remote).build());
        assertThat(pinned.getService().getSpec().getContainer().getImage())
                .isEqualTo("registry.test/nginx:1.25@" + NGINX_DIGEST);
        assertThat(pinned.getWarningsList()).isEmpty();

        ServiceSpec local = web("local").toBuilder().setContainer(ContainerSpec.newBuilder().setImage("web:1")).build();
        ServiceResponse kept = control.createService(CreateServiceRequest.newBuilder().setSpec(local).build());
        assertThat(kept.getService().getSpec().getContainer().getImage()).isEqualTo("web:1");
        assertThat(kept.getWarningsList()).singleElement().asString()
                .startsWith("image web:1 could not be accessed on a registry to record\nits digest.");

        asked.clear();
        ServiceResponse asGiven = control.createService(CreateServiceRequest.newBuilder()
                .setSpec(remote.toBuilder().setName("raw")).setNoResolveImage(true).build());
        assertThat(asGiven.getService().getSpec().getContainer().getImage()).isEqualTo("registry.test/nginx:1.25");
        Service s = pinned.getService();
        ServiceSpec changed = s.getSpec().toBuilder().setReplicas(3).build();
        Service updated = control.updateService(UpdateServiceRequest.newBuilder().setService(s.getId())
                .setVersion(s.getMeta().getVersion()).setSpec(changed).build()).getService();
        assertThat(updated.getSpec().getContainer().getImage()).isEqualTo("registry.test/nginx:1.25@" + NGINX_DIGEST);
        assertThat(asked).as("a pinned image, or --no-resolve-image, asks no registry").isEmpty();
    }

    @Test
    void aCreatedServiceIsListedAndInspectedByNameOrIdPrefix() {
        Service created = create(web("web"));

        assertThat(created.getId()).isNotEmpty();
        assertThat(created.getSpec().getEndpointMode()).isEqualTo(ServiceSpec.EndpointMode.VIP);
        assertThat(created.getSpec().getRestart().getCondition()).isEqualTo(RestartPolicy.Condition.ANY);
        ListServicesResponse list = control.listServices(ListServicesRequest.getDefaultInstance());
        assertThat(list.getServicesList()).singleElement().satisfies(s -> {
            assertThat(s.getService().getSpec().getName()).isEqualTo("web");
            assertThat(s.getDesired()).isEqualTo(2);
            assertThat(s.getRunning()).isZero();
        });
        assertThat(control.getService(GetServiceRequest.newBuilder().setService("web").build()).getService().getId())
                .isEqualTo(created.getId());
        assertThat(control.getService(GetServiceRequest.newBuilder().setService(created.getId().substring(0, 6)).build())
                .getService().getId()).isEqualTo(created.getId());
    }

    @Test
    void anUnknownServiceIsNotFoundWithTheSentenceTheCliPrints() {
        assertRefused(() -> control.getService(GetServiceRequest.newBuilder().setService("nope").build()),
                Status.Code.NOT_FOUND, "service nope not found");
        assertRefused(() -> control.removeService(RemoveServiceRequest.newBuilder().setService("nope").build()),
                Status.Code.NOT_FOUND, "service nope not found");
        assertRefused(() -> control.listTasks(ListTasksRequest.newBuilder().addServices("nope").build()),
                Status.Code.NOT_FOUND, "service nope not found");
    }

    @Test
    void aTakenServiceNameIsRefusedAndTheFirstServiceStaysAsItWas() {
        Service first = create(web("web"));

        assertRefused(() -> create(web("web").toBuilder().setReplicas(5).build()),
                Status.Code.ALREADY_EXISTS, "service web already exists");
        assertThat(control.listServices(ListServicesRequest.getDefaultInstance()).getServicesList())
                .singleElement().satisfies(s -> {
                    assertThat(s.getService().getId()).isEqualTo(first.getId());
                    assertThat(s.getDesired()).isEqualTo(2);
                });
    }

    @Test
    void anInvalidSpecIsRefusedWithWhatIsWrong() {
        assertRefused(() -> create(web("-bad")), Status.Code.INVALID_ARGUMENT,
                "invalid name \"-bad\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at most 63 characters");
        assertRefused(() -> create(web("web").toBuilder().clearContainer().build()), Status.Code.INVALID_ARGUMENT,
                "ContainerSpec: image reference must be provided");
        assertRefused(() -> create(web("web").toBuilder().addNetworks("nope").build()), Status.Code.NOT_FOUND,
                "network nope not found");
        assertThat(control.listServices(ListServicesRequest.getDefaultInstance()).getServicesList()).isEmpty();
    }

    @Test
    void enumValuesThisBuildDoesNotKnowAreRefused() {
        assertRefused(() -> create(web("web").toBuilder().setEndpointModeValue(7).build()), Status.Code.INVALID_ARGUMENT,
                "invalid endpoint mode 7: vip or dnsrr");
        assertRefused(() -> create(web("web").toBuilder().addPorts(PortConfig.newBuilder().setTargetPort(80)
                .setProtocolValue(2)).build()), Status.Code.INVALID_ARGUMENT, "invalid protocol 2: tcp or udp");
        assertRefused(() -> create(web("web").toBuilder().setRestart(RestartPolicy.newBuilder().setConditionValue(9))
                .build()), Status.Code.INVALID_ARGUMENT, "invalid restart condition 9");
        assertThat(control.listServices(ListServicesRequest.getDefaultInstance()).getServicesList()).isEmpty();
    }

    @Test
    void scaleAndRemoveChangeWhatListShows() {
        create(web("web"));

        Service scaled = control.scaleService(ScaleServiceRequest.newBuilder().setService("web").setReplicas(5).build())
                .getService();
        assertThat(scaled.getSpec().getReplicas()).isEqualTo(5);
        assertThat(scaled.getPreviousSpec().getReplicas()).isEqualTo(2);

        control.removeService(RemoveServiceRequest.newBuilder().setService("web").build());
        assertThat(control.listServices(ListServicesRequest.getDefaultInstance()).getServicesList()).isEmpty();
    }

    @Test
    void nodesAreListedWithThisNodeAndFoundByHostnameOrIdPrefix() {
        ListNodesResponse nodes = control.listNodes(ListNodesRequest.getDefaultInstance());
        assertThat(nodes.getSelfNodeId()).isEqualTo(OneManager.SELF);
        assertThat(nodes.getNodesList()).extracting(Node::getHostname).containsExactlyInAnyOrder("m-host", "w-host");
        assertThat(control.getNode(GetNodeRequest.newBuilder().setNode("w-host").build()).getNode().getId())
                .isEqualTo("worker1abc");
        assertThat(control.getNode(GetNodeRequest.newBuilder().setNode("worker1").build()).getNode().getId())
                .isEqualTo("worker1abc");
        assertThat(control.getNode(GetNodeRequest.newBuilder().setNode("self").build()).getNode().getId())
                .isEqualTo(OneManager.SELF);
        assertRefused(() -> control.getNode(GetNodeRequest.newBuilder().setNode("nope").build()),
                Status.Code.NOT_FOUND, "node nope not found");
    }

    @Test
    void labelsAreAddedAndRemovedAndRemovingAMissingOneChangesNothing() {
        Node labeled = control.updateNode(UpdateNodeRequest.newBuilder().setNode("w-host")
                .putAddLabels("zone", "east").putAddLabels("ssd", "").build()).getNode();
        assertThat(labeled.getLabelsMap()).containsExactlyInAnyOrderEntriesOf(Map.of("zone", "east", "ssd", ""));

        Node after = control.updateNode(UpdateNodeRequest.newBuilder().setNode("w-host").addRemoveLabels("ssd").build()).getNode();
        assertThat(after.getLabelsMap()).containsExactlyEntriesOf(Map.of("zone", "east"));

        assertRefused(() -> control.updateNode(UpdateNodeRequest.newBuilder().setNode("w-host")
                        .putAddLabels("rack", "r1").addRemoveLabels("ssd").build()),
                Status.Code.INVALID_ARGUMENT, "key ssd doesn't exist in node's labels");
        assertThat(control.getNode(GetNodeRequest.newBuilder().setNode("w-host").build()).getNode().getLabelsMap())
                .as("nothing half made").containsExactlyEntriesOf(Map.of("zone", "east"));
    }

    @Test
    void aServiceWithAMalformedConstraintIsRefusedInSwarmkitsWords() {
        ServiceSpec spec = web("web");
        assertRefused(() -> create(spec.toBuilder().setPlacement(Placement.newBuilder().addConstraints("node.role=manager")).build()),
                Status.Code.INVALID_ARGUMENT, "constraint expected one operator from ==, !=");
        assertRefused(() -> create(spec.toBuilder().setPlacement(Placement.newBuilder().addConstraints("node.labels.a==<b")).build()),
                Status.Code.INVALID_ARGUMENT, "value '<b' is invalid");
        assertThat(control.listServices(ListServicesRequest.getDefaultInstance()).getServicesList()).isEmpty();
    }

    @Test
    void aNodeThatIsUpOrAManagerIsNotRemoved() {
        assertRefused(() -> control.removeNode(RemoveNodeRequest.newBuilder().setNode("w-host").build()),
                Status.Code.FAILED_PRECONDITION, "node worker1abc is not down and can't be removed");
        assertRefused(() -> control.removeNode(RemoveNodeRequest.newBuilder().setNode("m-host").setForce(true).build()),
                Status.Code.FAILED_PRECONDITION, "node " + OneManager.SELF + " is a cluster manager and is a member "
                        + "of the raft cluster. It must be demoted to worker before removal");
        assertThat(control.listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount()).isEqualTo(2);
    }

    @Test
    void aCreatedNetworkIsListedAndAnUnknownOneIsNotFound() {
        Network created = control.createNetwork(CreateNetworkRequest.newBuilder()
                .setSpec(NetworkSpec.newBuilder().setName("backend").setDriver("overlay")).build()).getNetwork();

        assertThat(created.getVni()).isPositive();
        assertThat(created.getSpec().getSubnet()).startsWith("10.").endsWith("/20");
        assertThat(control.listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList())
                .extracting(n -> n.getSpec().getName()).contains("backend");
        assertThat(control.getNetwork(GetNetworkRequest.newBuilder().setNetwork("backend").build()).getNetwork().getId())
                .isEqualTo(created.getId());
        assertRefused(() -> control.getNetwork(GetNetworkRequest.newBuilder().setNetwork("nope").build()),
                Status.Code.NOT_FOUND, "network nope not found");
        assertRefused(() -> control.createNetwork(CreateNetworkRequest.newBuilder()
                        .setSpec(NetworkSpec.newBuilder().setName("backend").setDriver("overlay")).build()),
                Status.Code.ALREADY_EXISTS, "network with name backend already exists");
    }

    @Test
    void aNodeOutsideASwarmRefusesClusterCommandsWithTheSentenceDockerPrints() throws Exception {
        channel.shutdownNow();
        server.shutdownNow();
        ControlGrpc.ControlBlockingStub outside = serve(new LocalSwarmStub(Optional.empty()));

        assertRefused(() -> outside.listServices(ListServicesRequest.getDefaultInstance()),
                Status.Code.FAILED_PRECONDITION, Errors.NOT_A_MANAGER);
        assertRefused(() -> outside.createService(CreateServiceRequest.newBuilder().setSpec(web("web")).build()),
                Status.Code.FAILED_PRECONDITION, Errors.NOT_A_MANAGER);
    }

    /** This node's side of the swarm: the test's manager, or none (not in a swarm). */
    private static final class LocalSwarmStub implements ControlService.Swarm {
        private final Optional<Manager> manager;

        LocalSwarmStub(Optional<Manager> manager) {
            this.manager = manager;
        }

        @Override
        public Optional<Manager> manager() {
            return manager;
        }

        @Override
        public Optional<ClusterConnection> connection() {
            return manager.map(m -> m);
        }

        @Override
        public String notManagerMessage() {
            return Errors.NOT_A_MANAGER;
        }

        @Override
        public List<String> managers() {
            return List.of();
        }

        @Override
        public String nodeId() {
            return OneManager.SELF;
        }

        @Override
        public InitSwarmResponse init(InitSwarmRequest request) {
            throw new UnsupportedOperationException("membership is not under test here");
        }

        @Override
        public JoinSwarmResponse join(JoinSwarmRequest request) {
            throw new UnsupportedOperationException("membership is not under test here");
        }

        @Override
        public void leave(boolean force) {
            throw new UnsupportedOperationException("membership is not under test here");
        }

        @Override
        public JoinTokenResponse joinToken(NodeRole role, boolean rotate) {
            throw new UnsupportedOperationException("membership is not under test here");
        }

        @Override
        public Map<String, ManagerStatus> managerStatuses() {
            return Map.of();
        }
    }

    /** {@code service update} (or {@code --rollback}) of the service as the CLI read it. */
    private Service update(Service read, ServiceSpec spec, boolean rollback) {
        return control.updateService(UpdateServiceRequest.newBuilder().setService(read.getSpec().getName())
                .setVersion(read.getMeta().getVersion()).setSpec(spec).setRollback(rollback).build()).getService();
    }

    @Test
    void anUpdateKeepsThePreviousSpecAndIsRefusedWhenReadAtAnOldVersion() {
        Service created = create(web("web"));
        ServiceSpec newer = created.getSpec().toBuilder()
                .setContainer(created.getSpec().getContainer().toBuilder().setImage("nginx:1.26")).build();

        Service updated = update(created, newer, false);

        assertThat(updated.getSpec().getContainer().getImage()).isEqualTo("nginx:1.26");
        assertThat(updated.getPreviousSpec().getContainer().getImage()).isEqualTo("nginx:1.25");
        assertThat(updated.getSpec().getUpdate().getMonitorMs()).as("Docker's defaults filled in").isEqualTo(5_000);
        assertRefused(() -> update(created, newer, false), Status.Code.INVALID_ARGUMENT, "update out of sequence");
        assertRefused(() -> update(updated, newer.toBuilder().setName("other").build(), false),
                Status.Code.INVALID_ARGUMENT, "renaming services is not supported");
        assertRefused(() -> update(updated, newer.toBuilder().setUpdate(newer.getUpdate().toBuilder().setDelayMs(-1)).build(), false),
                Status.Code.INVALID_ARGUMENT, "TaskSpec: update-delay cannot be negative");
        assertRefused(() -> update(updated, newer.toBuilder().setRollback(newer.getRollback().toBuilder().setMaxFailureRatio(1.5f)).build(), false),
                Status.Code.INVALID_ARGUMENT, "TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1");
        Service unchanged = control.getService(GetServiceRequest.newBuilder().setService("web").build()).getService();
        assertThat(unchanged.getMeta().getVersion()).as("a refused update writes nothing").isEqualTo(updated.getMeta().getVersion());
    }

    @Test
    void aRollbackSwapsTheSpecsAndNeedsAPreviousOne() {
        Service created = create(web("web"));
        assertRefused(() -> update(created, ServiceSpec.getDefaultInstance(), true), Status.Code.FAILED_PRECONDITION,
                "service " + created.getId() + " does not have a previous spec");
        Service updated = update(created, created.getSpec().toBuilder()
                .setContainer(created.getSpec().getContainer().toBuilder().setImage("nginx:1.26")).build(), false);

        Service back = update(updated, ServiceSpec.getDefaultInstance(), true);

        assertThat(back.getSpec().getContainer().getImage()).isEqualTo("nginx:1.25");
        assertThat(back.getPreviousSpec().getContainer().getImage()).as("one level, toggling").isEqualTo("nginx:1.26");
    }

    private dev.flotilla.api.v1.Secret createSecret(String name, String value) {
        return control.createSecret(dev.flotilla.api.v1.CreateSecretRequest.newBuilder().setSpec(
                dev.flotilla.api.v1.SecretSpec.newBuilder().setName(name)
                        .setData(com.google.protobuf.ByteString.copyFromUtf8(value))).build()).getSecret();
    }

    private static ServiceSpec withSecrets(ServiceSpec spec, dev.flotilla.api.v1.SecretReference... refs) {
        return spec.toBuilder().setContainer(spec.getContainer().toBuilder().addAllSecrets(java.util.List.of(refs))).build();
    }

    private static dev.flotilla.api.v1.SecretReference byName(String name) {
        return dev.flotilla.api.v1.SecretReference.newBuilder().setSecretName(name).build();
    }

    @Test
    void aSecretsValueIsStoredButInNoAnswer() {
        dev.flotilla.api.v1.Secret created = createSecret("db_password", "s3cr3t");

        assertThat(created.getSpec().getData()).isEmpty();
        assertThat(created.getSpec().getName()).isEqualTo("db_password");
        assertThat(one.view().secret(created.getId()).orElseThrow().getSpec().getData().toStringUtf8()).isEqualTo("s3cr3t");
        assertThat(control.listSecrets(dev.flotilla.api.v1.ListSecretsRequest.getDefaultInstance()).getSecretsList())
                .singleElement().satisfies(x -> assertThat(x.getSpec().getData()).isEmpty());
        assertThat(control.getSecret(dev.flotilla.api.v1.GetSecretRequest.newBuilder().setSecret("db_password").build())
                .getSecret().getSpec().getData()).isEmpty();
        assertRefused(() -> createSecret("db_password", "again"), Status.Code.ALREADY_EXISTS, "secret db_password already exists");
        assertRefused(() -> createSecret("db_password2", ""), Status.Code.INVALID_ARGUMENT,
                "secret data must be larger than 0 and less than 512000 bytes");
        assertRefused(() -> createSecret("-x", "v"), Status.Code.INVALID_ARGUMENT,
                "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]");
    }

    @Test
    void aServiceNamesSecretsByNameAndGetsDockersDefaultsAndASecretInUseStays() {
        dev.flotilla.api.v1.Secret pw = createSecret("db_password", "s3cr3t");
        Service db = create(withSecrets(web("db"), byName("db_password")));

        assertThat(db.getSpec().getContainer().getSecretsList()).singleElement().satisfies(r -> {
            assertThat(r.getSecretId()).isEqualTo(pw.getId());
            assertThat(r.getFile().getName()).isEqualTo("db_password");
            assertThat(r.getFile().getUid()).isEqualTo("0");
            assertThat(r.getFile().getMode()).isEqualTo(0444);
        });
        assertRefused(() -> control.removeSecret(dev.flotilla.api.v1.RemoveSecretRequest.newBuilder()
                        .setSecret("db_password").build()), Status.Code.INVALID_ARGUMENT,
                "secret 'db_password' is in use by the following service: db");
        assertRefused(() -> create(withSecrets(web("x"), byName("nope"), byName("gone"))), Status.Code.INVALID_ARGUMENT,
                "secrets not found: nope, gone");
        createSecret("other", "v");
        dev.flotilla.api.v1.FileTarget same = dev.flotilla.api.v1.FileTarget.newBuilder().setName("pw").build();
        assertRefused(() -> create(withSecrets(web("y"), byName("db_password").toBuilder().setFile(same).build(),
                        byName("other").toBuilder().setFile(same).build())), Status.Code.INVALID_ARGUMENT,
                "secret references 'db_password' and 'other' have a conflicting target: 'pw'");
        assertRefused(() -> create(withSecrets(web("z"), byName("other").toBuilder()
                        .setFile(dev.flotilla.api.v1.FileTarget.newBuilder().setName("../../etc/passwd")).build())),
                Status.Code.INVALID_ARGUMENT, "malformed file secret reference, invalid target file name provided");

        control.removeService(dev.flotilla.api.v1.RemoveServiceRequest.newBuilder().setService("db").build());
        assertThat(control.removeSecret(dev.flotilla.api.v1.RemoveSecretRequest.newBuilder().setSecret("db_password")
                .build()).getId()).isEqualTo(pw.getId());
    }

    @Test
    void onlyASecretsLabelsChange() {
        dev.flotilla.api.v1.Secret pw = createSecret("db_password", "s3cr3t");
        dev.flotilla.api.v1.Secret relabeled = control.updateSecret(dev.flotilla.api.v1.UpdateSecretRequest.newBuilder()
                .setSecret(pw.getId()).setVersion(pw.getMeta().getVersion())
                .setSpec(pw.getSpec().toBuilder().putLabels("env", "prod")).build()).getSecret();
        assertThat(relabeled.getSpec().getLabelsMap()).containsEntry("env", "prod");
        assertThat(one.view().secret(pw.getId()).orElseThrow().getSpec().getData().toStringUtf8()).isEqualTo("s3cr3t");

        assertRefused(() -> control.updateSecret(dev.flotilla.api.v1.UpdateSecretRequest.newBuilder()
                        .setSecret(pw.getId()).setVersion(relabeled.getMeta().getVersion())
                        .setSpec(relabeled.getSpec().toBuilder().setData(com.google.protobuf.ByteString.copyFromUtf8("new")))
                        .build()), Status.Code.INVALID_ARGUMENT, "only updates to Labels are allowed");
    }

    @Test
    void aPortThisNodesMeshHoldsForAServiceNotYetAppliedHereGetsTheStoresAnswer() throws Exception {
        // This node's session may be ahead of its Raft member: the mesh already listens on the port
        // of a service another manager created, which this store gets a moment later.
        Service other = Service.newBuilder().setId("otherid1").setMeta(Actions.meta(0)).setSpec(web("a1"))
                .addEndpointPorts(dev.flotilla.api.v1.PortConfig.newBuilder().setPublishedPort(30001).setTargetPort(80)).build();
        java.util.concurrent.atomic.AtomicBoolean late = new java.util.concurrent.atomic.AtomicBoolean();
        dev.flotilla.manager.allocator.PortProbe meshAhead = (port, protocol) -> {
            if (late.compareAndSet(false, true)) {
                one.write(Actions.create(other));
            }
            return Optional.of("port " + port + "/tcp is already in use on this node");
        };
        String name = InProcessServerBuilder.generateName();
        Server s2 = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new ControlService(new LocalSwarmStub(Optional.of(one.manager())), meshAhead)).build().start();
        ManagedChannel c2 = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            ServiceSpec b1 = web("b1").toBuilder().addPorts(dev.flotilla.api.v1.PortConfig.newBuilder()
                    .setPublishedPort(30001).setTargetPort(80)).build();
            assertRefused(() -> ControlGrpc.newBlockingStub(c2).createService(CreateServiceRequest.newBuilder().setSpec(b1)
                            .setNoResolveImage(true).build()), Status.Code.INVALID_ARGUMENT,
                    "port '30001' is already in use by service 'a1' (otherid1) as an ingress port");
        } finally {
            c2.shutdownNow();
            s2.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void autolockGivesAnUnlockKeyThatRotatesAndGoesAwayWithIt() {
        assertRefused(() -> control.getUnlockKey(dev.flotilla.api.v1.GetUnlockKeyRequest.newBuilder().setRotate(true).build()),
                Status.Code.FAILED_PRECONDITION, "cannot rotate because autolock is not turned on");
        assertThat(control.getUnlockKey(dev.flotilla.api.v1.GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey()).isEmpty();

        String key = control.updateSwarm(dev.flotilla.api.v1.UpdateSwarmRequest.newBuilder().setAutolock(true).build())
                .getUnlockKey();
        assertThat(key).startsWith("SWMKEY-1-");
        assertThat(one.view().cluster().orElseThrow().getAutolock()).isTrue();
        assertThat(control.getUnlockKey(dev.flotilla.api.v1.GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey())
                .isEqualTo(key);
        assertThat(control.updateSwarm(dev.flotilla.api.v1.UpdateSwarmRequest.newBuilder().setAutolock(true).build())
                .getUnlockKey()).as("already on: no new key").isEmpty();
        String rotated = control.getUnlockKey(dev.flotilla.api.v1.GetUnlockKeyRequest.newBuilder().setRotate(true).build())
                .getUnlockKey();
        assertThat(rotated).startsWith("SWMKEY-1-").isNotEqualTo(key);

        control.updateSwarm(dev.flotilla.api.v1.UpdateSwarmRequest.newBuilder().setAutolock(false).build());
        assertThat(one.view().cluster().orElseThrow().getUnlockKey()).isEmpty();
        assertThat(control.getUnlockKey(dev.flotilla.api.v1.GetUnlockKeyRequest.getDefaultInstance()).getUnlockKey()).isEmpty();
    }

    @Test
    void aConfigIsShownWithItsDataImmutableButForLabelsAndKeptWhileInUse() {
        dev.flotilla.api.v1.ConfigSpec spec = dev.flotilla.api.v1.ConfigSpec.newBuilder().setName("app_conf")
                .setData(com.google.protobuf.ByteString.copyFromUtf8("listen 80;")).build();
        dev.flotilla.api.v1.Config created = control.createConfig(dev.flotilla.api.v1.CreateConfigRequest.newBuilder()
                .setSpec(spec).build()).getConfig();
        assertThat(created.getSpec().getData().toStringUtf8()).isEqualTo("listen 80;");
        assertRefused(() -> control.createConfig(dev.flotilla.api.v1.CreateConfigRequest.newBuilder().setSpec(spec.toBuilder()
                        .setName("big").setData(com.google.protobuf.ByteString.copyFrom(new byte[1000 * 1024]))).build()),
                Status.Code.INVALID_ARGUMENT, "config data must be larger than 0 and less than 1024000 bytes");
        assertRefused(() -> control.updateConfig(dev.flotilla.api.v1.UpdateConfigRequest.newBuilder().setConfig("app_conf")
                        .setVersion(created.getMeta().getVersion()).setSpec(spec.toBuilder()
                                .setData(com.google.protobuf.ByteString.copyFromUtf8("listen 81;"))).build()),
                Status.Code.INVALID_ARGUMENT, "only updates to Labels are allowed");

        Service app = create(web("app").toBuilder().setContainer(web("app").getContainer().toBuilder()
                .addConfigs(dev.flotilla.api.v1.ConfigReference.newBuilder().setConfigName("app_conf"))).build());
        assertThat(app.getSpec().getContainer().getConfigsList()).singleElement().satisfies(r -> {
            assertThat(r.getConfigId()).isEqualTo(created.getId());
            assertThat(r.getFile().getName()).isEqualTo("app_conf");
            assertThat(r.getFile().getMode()).isEqualTo(0444);
        });
        assertRefused(() -> control.removeConfig(dev.flotilla.api.v1.RemoveConfigRequest.newBuilder().setConfig("app_conf")
                .build()), Status.Code.INVALID_ARGUMENT, "config 'app_conf' is in use by the following service: app");
    }
}
