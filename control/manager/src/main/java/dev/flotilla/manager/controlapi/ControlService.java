package dev.flotilla.manager.controlapi;

import static dev.flotilla.cluster.rpc.Errors.answer;

import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreConflictException;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.ConfigResponse;
import dev.flotilla.api.v1.ConfigSpec;
import dev.flotilla.api.v1.ControlGrpc;
import dev.flotilla.api.v1.CreateConfigRequest;
import dev.flotilla.api.v1.GetConfigRequest;
import dev.flotilla.api.v1.ListConfigsRequest;
import dev.flotilla.api.v1.ListConfigsResponse;
import dev.flotilla.api.v1.RemoveConfigRequest;
import dev.flotilla.api.v1.RemoveConfigResponse;
import dev.flotilla.api.v1.UpdateConfigRequest;
import dev.flotilla.api.v1.GetUnlockKeyRequest;
import dev.flotilla.api.v1.UnlockKeyResponse;
import dev.flotilla.api.v1.UnlockSwarmRequest;
import dev.flotilla.api.v1.UnlockSwarmResponse;
import dev.flotilla.api.v1.UpdateSwarmRequest;
import dev.flotilla.api.v1.UpdateSwarmResponse;
import dev.flotilla.cluster.ca.UnlockKey;
import dev.flotilla.api.v1.CreateSecretRequest;
import dev.flotilla.api.v1.GetSecretRequest;
import dev.flotilla.api.v1.ListSecretsRequest;
import dev.flotilla.api.v1.ListSecretsResponse;
import dev.flotilla.api.v1.RemoveSecretRequest;
import dev.flotilla.api.v1.RemoveSecretResponse;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.SecretResponse;
import dev.flotilla.api.v1.SecretSpec;
import dev.flotilla.api.v1.UpdateSecretRequest;
import dev.flotilla.api.v1.CreateServiceRequest;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.manager.ManagerStatuses;
import java.util.Map;
import dev.flotilla.api.v1.GetServiceRequest;
import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.JobStatus;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.InitSwarmResponse;
import dev.flotilla.api.v1.JoinTokenRequest;
import dev.flotilla.api.v1.JoinTokenResponse;
import dev.flotilla.api.v1.LeaveSwarmRequest;
import dev.flotilla.api.v1.LeaveSwarmResponse;
import dev.flotilla.api.v1.ListNetworksRequest;
import dev.flotilla.api.v1.ListNetworksResponse;
import dev.flotilla.api.v1.ListNodesRequest;
import dev.flotilla.api.v1.ListNodesResponse;
import dev.flotilla.api.v1.ListServicesRequest;
import dev.flotilla.api.v1.ListServicesResponse;
import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.ListTasksResponse;
import dev.flotilla.api.v1.CreateNetworkRequest;
import dev.flotilla.api.v1.GetNetworkRequest;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkResponse;
import dev.flotilla.api.v1.RemoveNetworkRequest;
import dev.flotilla.api.v1.RemoveNetworkResponse;
import dev.flotilla.api.v1.GetNodeRequest;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.JoinSwarmResponse;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeResponse;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.RemoveNodeRequest;
import dev.flotilla.api.v1.RemoveNodeResponse;
import dev.flotilla.api.v1.UpdateNodeRequest;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.RemoveServiceRequest;
import dev.flotilla.api.v1.RemoveServiceResponse;
import dev.flotilla.api.v1.ScaleServiceRequest;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceResponse;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.ServiceSummary;
import dev.flotilla.api.v1.UpdateServiceRequest;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.manager.orchestrator.Orchestrator;
import dev.flotilla.manager.orchestrator.Updater;
import dev.flotilla.api.v1.Task;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.Credentials;
import dev.flotilla.manager.Manager;
import dev.flotilla.manager.allocator.PortAllocator;
import dev.flotilla.manager.allocator.PortProbe;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.common.Ids;
import dev.flotilla.common.Names;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The cluster API, answered by managers. */
public final class ControlService extends ControlGrpc.ControlImplBase {

    private static final Logger log = LoggerFactory.getLogger(ControlService.class);

    /** This node's side of the swarm: whether it is in one, and as what. */
    public interface Swarm {
        Optional<Manager> manager();

        /** The cluster as this node sees it: its manager's store, or a worker's session. */
        Optional<ClusterConnection> connection();

        /** Why this node refuses cluster commands (not in a swarm, a worker, or a locked manager). */
        String notManagerMessage();

        /** Whether this manager restarted with autolock on and waits for its unlock key. */
        default boolean locked() {
            return false;
        }

        /** Starts this locked manager with its unlock key ({@code SWMKEY-1-...}). */
        default void unlock(String unlockKey) {
            throw Errors.precondition("swarm is not locked");
        }

        /** Managers' host:port this node knows. */
        List<String> managers();

        String nodeId();

        InitSwarmResponse init(InitSwarmRequest request);

        JoinSwarmResponse join(JoinSwarmRequest request);

        void leave(boolean force);

        JoinTokenResponse joinToken(NodeRole role, boolean rotate);

        /** MANAGER STATUS of every Raft member by node id, live (see {@link ManagerStatuses}); empty off a manager. */
        Map<String, ManagerStatus> managerStatuses();
    }

    private final Swarm swarm;
    private final ImageResolver images;
    private final PortAllocator portAllocator;
    private final RoleChanges roleChanges;

    public ControlService(Swarm swarm, PortProbe ports) {
        this(swarm, ports, ImageResolver.NONE);
    }

    /** @param images pins services' image tags to their registries' digests */
    public ControlService(Swarm swarm, PortProbe ports, ImageResolver images) {
        this.swarm = swarm;
        this.images = images;
        this.portAllocator = new PortAllocator(ports);
        this.roleChanges = new RoleChanges(swarm::managerStatuses);
    }

    @Override
    public void initSwarm(InitSwarmRequest request, StreamObserver<InitSwarmResponse> out) {
        answer(out, () -> swarm.init(request));
    }

    @Override
    public void joinSwarm(JoinSwarmRequest request, StreamObserver<JoinSwarmResponse> out) {
        answer(out, () -> swarm.join(request));
    }

    @Override
    public void getNode(GetNodeRequest request, StreamObserver<NodeResponse> out) {
        answer(out, () -> NodeResponse.newBuilder().setNode(decorated(node(manager(), request.getNode()))).build());
    }

    @Override
    public void updateNode(UpdateNodeRequest request, StreamObserver<NodeResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            for (String key : request.getAddLabelsMap().keySet()) {
                if (key.isEmpty()) {
                    throw Errors.invalid("invalid label: the key is empty");
                }
            }
            // The request says what to change, not the whole node: a node that changed meanwhile
            // (its session wrote its state) is read again and the change applied to it.
            for (int attempt = 1; ; attempt++) {
                Node n = node(m, request.getNode());
                Node next = changed(m, n, request);
                try {
                    if (!next.equals(n)) {
                        m.write(List.of(Actions.update(next)));
                    }
                } catch (StoreConflictException e) {
                    if (attempt >= 3) {
                        throw e;
                    }
                    continue;
                }
                if (request.getSetRole() && request.getRole() == NodeRole.MANAGER && n.getRole() != NodeRole.MANAGER) {
                    roleChanges.awaitPromotion(m, n.getId());
                } else if (request.getSetRole() && request.getRole() == NodeRole.WORKER && n.getRole() == NodeRole.MANAGER) {
                    roleChanges.awaitDemotion(n.getId());
                }
                return NodeResponse.newBuilder().setNode(decorated(m.view().node(n.getId()).orElse(next))).build();
            }
        });
    }

    /** {@code n} as the request changes it, or refused as Docker refuses it. */
    private Node changed(Manager m, Node n, UpdateNodeRequest request) {
        Node.Builder b = n.toBuilder();
        if (request.getSetRole()) {
            long managers = m.view().nodes().values().stream().filter(x -> x.getRole() == NodeRole.MANAGER).count();
            if (request.getRole() == NodeRole.WORKER && n.getRole() == NodeRole.MANAGER && managers <= 1) {
                throw Errors.precondition("attempting to demote the last manager of the swarm");
            }
            b.setRole(request.getRole());
        }
        if (request.getSetAvailability()) {
            b.setAvailability(request.getAvailability());
        }
        b.putAllLabels(request.getAddLabelsMap());
        for (String key : request.getRemoveLabelsList()) {
            if (!b.containsLabels(key)) {
                throw Errors.invalid("key " + key + " doesn't exist in node's labels");
            }
            b.removeLabels(key);
        }
        if (request.getSetRole() && request.getRole() == NodeRole.WORKER && n.getRole() == NodeRole.MANAGER
                && !ManagerStatuses.canRemove(swarm.managerStatuses(), n.getId())) {
            throw Errors.precondition(ManagerStatuses.QUORUM_LOSS);
        }
        return b.build();
    }

    @Override
    public void removeNode(RemoveNodeRequest request, StreamObserver<RemoveNodeResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Node n = node(m, request.getNode());
            if (n.getRole() == NodeRole.MANAGER) {
                throw Errors.precondition("node " + n.getId() + " is a cluster manager and is a member "
                        + "of the raft cluster. It must be demoted to worker before removal");
            }
            if (n.getState() != NodeState.NODE_DOWN && !request.getForce()) {
                throw Errors.precondition("node " + n.getId() + " is not down and can't be removed");
            }
            m.write(List.of(Actions.remove(n)));
            return RemoveNodeResponse.newBuilder().setId(n.getId()).build();
        });
    }

    private Node decorated(Node n) {
        return ManagerStatuses.decorate(List.of(n), swarm.managerStatuses()).get(0);
    }

    /** A node by id, unique id prefix or hostname; "self" is this node. */
    private Node node(Manager m, String key) {
        StoreView view = m.view();
        String k = "self".equals(key) ? swarm.nodeId() : key;
        Optional<Node> exact = view.node(k);
        if (exact.isPresent()) {
            return exact.get();
        }
        List<Node> byName = view.nodes().values().stream().filter(n -> n.getHostname().equals(k)).toList();
        if (byName.size() == 1) {
            return byName.get(0);
        }
        List<Node> byPrefix = view.nodes().values().stream().filter(n -> n.getId().startsWith(k)).toList();
        if (byPrefix.size() == 1 && !k.isEmpty()) {
            return byPrefix.get(0);
        }
        if (byName.size() > 1 || byPrefix.size() > 1) {
            throw Errors.precondition("node " + key + " is ambiguous (" + Math.max(byName.size(), byPrefix.size())
                    + " matches found)");
        }
        throw Errors.notFound("node " + key + " not found");
    }

    @Override
    public void leaveSwarm(LeaveSwarmRequest request, StreamObserver<LeaveSwarmResponse> out) {
        answer(out, () -> {
            swarm.leave(request.getForce());
            return LeaveSwarmResponse.getDefaultInstance();
        });
    }

    @Override
    public void getJoinToken(JoinTokenRequest request, StreamObserver<JoinTokenResponse> out) {
        answer(out, () -> {
            manager();
            return swarm.joinToken(request.getRole(), request.getRotate());
        });
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> out) {
        answer(out, () -> ListNodesResponse.newBuilder()
                .addAllNodes(ManagerStatuses.decorate(List.copyOf(manager().view().nodes().values()), swarm.managerStatuses()))
                .setSelfNodeId(swarm.nodeId())
                .build());
    }

    @Override
    public void createService(CreateServiceRequest request, StreamObserver<ServiceResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            ServiceSpec.Builder spec = request.getSpec().toBuilder();
            if (spec.getName().isEmpty()) {
                spec.setName(Names.random());
            }
            ServiceSpec checked = Configs.resolve(m.view(), Secrets.resolve(m.view(),
                    ServiceSpecs.validate(NetworkResolver.attach(m.view(), spec.build()))));
            List<String> warnings = new ArrayList<>();
            ServiceSpec valid = request.getNoResolveImage() ? checked : pinned(checked, warnings);
            String id = Ids.newId();
            Service service = allocating(() -> {
                StoreView current = m.view();
                if (current.services().values().stream().anyMatch(s -> s.getSpec().getName().equals(valid.getName()))) {
                    throw Errors.conflict("service " + valid.getName() + " already exists");
                }
                Service.Builder fresh = Service.newBuilder()
                        .setId(id)
                        .setMeta(Actions.meta(m.now()))
                        .setSpec(valid)
                        .addAllEndpointPorts(portAllocator.allocate(current, valid));
                if (Orchestrator.isJob(valid)) {
                    fresh.setJobStatus(JobStatus.newBuilder().setLastExecutionMs(m.now()));
                }
                m.write(List.of(Actions.create(fresh.build())));
                return fresh.build();
            });
            log.info("Service {} ({}) created: {} replicas, image {}", valid.getName(), service.getId(),
                    valid.getReplicas(), valid.getContainer().getImage());
            return ServiceResponse.newBuilder()
                    .setService(Credentials.redacted(m.view().service(service.getId()).orElse(service)))
                    .addAllWarnings(warnings).build();
        });
    }

    /**
     * {@code spec} with its image pinned to its registry's digest ({@code nginx:1.25@sha256:...}),
     * or as it was, with Docker's warning, when the registry cannot say (an image only imported on
     * the nodes, a registry that is down).
     */
    private ServiceSpec pinned(ServiceSpec spec, List<String> warnings) {
        String image = spec.getContainer().getImage();
        if (image.isEmpty() || image.contains("@")) {
            return spec;
        }
        try {
            String digest = images.digest(image, spec.getContainer().getRegistryAuth());
            return spec.toBuilder().setContainer(spec.getContainer().toBuilder().setImage(image + "@" + digest)).build();
        } catch (RuntimeException e) {
            log.info("Image {} of service {} keeps its tag: {}", image, spec.getName(), e.getMessage());
            warnings.add("image " + image + " could not be accessed on a registry to record\n"
                    + "its digest. Each node will access " + image + " independently,\n"
                    + "possibly leading to different nodes running different\n"
                    + "versions of the image.\n");
            return spec;
        }
    }

    @Override
    public void listServices(ListServicesRequest request, StreamObserver<ListServicesResponse> out) {
        answer(out, () -> {
            StoreView view = manager().view();
            ListServicesResponse.Builder b = ListServicesResponse.newBuilder();
            for (Service s : view.services().values()) {
                b.addServices(summary(view, s));
            }
            return b.build();
        });
    }

    /**
     * A service's REPLICAS as swarmkit counts them: running tasks over desired ones (replicas,
     * eligible nodes, a replicated job's max concurrent, a global job's tasks not complete yet),
     * and a job's completions; only the job's current iteration counts.
     */
    static ServiceSummary summary(StoreView view, Service s) {
        List<Task> tasks = view.tasksOfService(s.getId()).stream()
                .filter(t -> !Orchestrator.isJob(s.getSpec()) || t.getJobIteration() == s.getJobStatus().getIteration())
                .toList();
        long running = tasks.stream().filter(TaskStates::servesTraffic).count();
        long completed = tasks.stream().filter(t -> t.getStatus().getState() == TaskState.COMPLETE).count();
        long desired = switch (s.getSpec().getMode()) {
            case GLOBAL -> view.nodes().values().stream().filter(n -> Orchestrator.eligibleForGlobal(n, s.getSpec())).count();
            case REPLICATED_JOB -> s.getSpec().getMaxConcurrent();
            case GLOBAL_JOB -> tasks.stream().filter(t -> t.getDesiredState() == TaskState.COMPLETE
                    && t.getStatus().getState() != TaskState.COMPLETE).count();
            default -> s.getSpec().getReplicas();
        };
        return ServiceSummary.newBuilder().setService(Credentials.redacted(s)).setRunning(running).setDesired(desired)
                .setCompleted(Orchestrator.isJob(s.getSpec()) ? completed : 0).build();
    }

    /** A job changed in any way runs again: its next iteration. */
    private static void nextIteration(Service.Builder b, long nowMs) {
        if (b.hasJobStatus()) {
            b.setJobStatus(JobStatus.newBuilder().setIteration(b.getJobStatus().getIteration() + 1).setLastExecutionMs(nowMs));
        }
    }

    @Override
    public void getService(GetServiceRequest request, StreamObserver<ServiceResponse> out) {
        answer(out, () -> ServiceResponse.newBuilder()
                .setService(Credentials.redacted(service(manager(), request.getService()))).build());
    }

    @Override
    public void scaleService(ScaleServiceRequest request, StreamObserver<ServiceResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            for (int attempt = 0; ; attempt++) {
                Service s = service(m, request.getService());
                ServiceSpec.Mode mode = s.getSpec().getMode();
                if (mode != ServiceSpec.Mode.REPLICATED && mode != ServiceSpec.Mode.REPLICATED_JOB) {
                    throw Errors.invalid("scale can only be used with replicated or replicated-job mode");
                }
                Service.Builder b = s.toBuilder()
                        .setPreviousSpec(s.getSpec())
                        .clearPreviousEndpointPorts().addAllPreviousEndpointPorts(s.getEndpointPortsList())
                        .setSpec(s.getSpec().toBuilder().setReplicas(request.getReplicas()))
                        .setMeta(Actions.touched(s.getMeta(), m.now()));
                nextIteration(b, m.now());
                Service scaled = b.build();
                try {
                    m.write(List.of(Actions.update(scaled)));
                    return ServiceResponse.newBuilder()
                            .setService(Credentials.redacted(m.view().service(s.getId()).orElse(scaled))).build();
                } catch (StoreConflictException e) {
                    if (attempt >= 3) {
                        throw e;
                    }
                }
            }
        });
    }

    /**
     * Docker's service update: the spec read at {@code version} replaces the current one (which
     * becomes the previous spec), or, with {@code rollback}, the two swap. When live tasks differ
     * from the new spec the update status becomes "updating" and the {@link Updater} replaces
     * them; a second update of a paused one starts it again.
     */
    @Override
    public void updateService(UpdateServiceRequest request, StreamObserver<ServiceResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            List<String> warnings = new ArrayList<>();
            ServiceSpec given = request.getSpec();
            if (!request.getRollback() && !given.getContainer().hasRegistryAuth()) {
                // Answers never carry the credentials, so a spec read back and sent again has none:
                // the service keeps those it has (Docker's update does too).
                ServiceSpec current = service(m, request.getService()).getSpec();
                if (current.getContainer().hasRegistryAuth()) {
                    given = given.toBuilder().setContainer(given.getContainer().toBuilder()
                            .setRegistryAuth(current.getContainer().getRegistryAuth())).build();
                }
            }
            // Asked before anything is locked: a registry may take its time.
            ServiceSpec asked = request.getRollback() || request.getNoResolveImage() ? given : pinned(given, warnings);
            Service updated = allocating(() -> {
                Service s = service(m, request.getService());
                if (s.getMeta().getVersion() != request.getVersion()) {
                    throw Errors.invalid("update out of sequence");
                }
                long now = m.now();
                Service.Builder b = s.toBuilder().setMeta(Actions.touched(s.getMeta(), now));
                UpdateStatus.Builder status;
                if (request.getRollback()) {
                    if (!s.hasPreviousSpec()) {
                        throw Errors.precondition("service " + s.getId() + " does not have a previous spec");
                    }
                    b.setSpec(s.getPreviousSpec()).setPreviousSpec(s.getSpec())
                            .clearEndpointPorts().addAllEndpointPorts(s.getPreviousEndpointPortsList())
                            .clearPreviousEndpointPorts().addAllPreviousEndpointPorts(s.getEndpointPortsList());
                    status = UpdateStatus.newBuilder().setState(UpdateStatus.State.ROLLBACK_STARTED)
                            .setMessage("manually requested rollback");
                } else {
                    ServiceSpec next = Configs.resolve(m.view(), Secrets.resolve(m.view(),
                            ServiceSpecs.validate(NetworkResolver.attach(m.view(), asked))));
                    if (!next.getName().equals(s.getSpec().getName())) {
                        throw Errors.invalid("renaming services is not supported");
                    }
                    if (next.getMode() != s.getSpec().getMode()) {
                        throw Errors.invalid("service mode change is not allowed");
                    }
                    b.setSpec(next).setPreviousSpec(s.getSpec())
                            .clearEndpointPorts().addAllEndpointPorts(portAllocator.reallocate(m.view(), s, next))
                            .clearPreviousEndpointPorts().addAllPreviousEndpointPorts(s.getEndpointPortsList());
                    status = UpdateStatus.newBuilder().setState(UpdateStatus.State.UPDATING)
                            .setMessage("update in progress");
                }
                Service candidate = b.build();
                if (candidate.hasJobStatus()) {
                    // A job has no rollout: the change runs it again.
                    nextIteration(b, now);
                    b.clearUpdateStatus();
                } else if (Updater.needsUpdate(m.view(), candidate)) {
                    b.setUpdateStatus(status.setStartedAtMs(now));
                } else {
                    // Nothing to replace (replicas or labels only): no rollout to report.
                    b.clearUpdateStatus();
                }
                Service written = b.build();
                try {
                    m.write(List.of(Actions.update(written)));
                } catch (StoreConflictException e) {
                    if (e.conflict() == StoreConflict.STORE_CONFLICT_VERSION) {
                        throw Errors.invalid("update out of sequence");
                    }
                    throw e;
                }
                return written;
            });
            log.info("Service {} ({}) {}: image {}", updated.getSpec().getName(), updated.getId(),
                    request.getRollback() ? "rolled back" : "updated", updated.getSpec().getContainer().getImage());
            return ServiceResponse.newBuilder()
                    .setService(Credentials.redacted(m.view().service(updated.getId()).orElse(updated)))
                    .addAllWarnings(warnings).build();
        });
    }

    @Override
    public void removeService(RemoveServiceRequest request, StreamObserver<RemoveServiceResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Service s = service(m, request.getService());
            m.write(List.of(Actions.remove(s)));
            log.info("Service {} ({}) removed", s.getSpec().getName(), s.getId());
            return RemoveServiceResponse.newBuilder().setId(s.getId()).build();
        });
    }

    @Override
    public void listTasks(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            StoreView view = m.view();
            List<Task> tasks = new ArrayList<>();
            if (request.getServicesList().isEmpty()) {
                tasks.addAll(view.tasks().values());
            } else {
                for (String name : request.getServicesList()) {
                    tasks.addAll(view.tasksOfService(service(m, name).getId()));
                }
            }
            ListTasksResponse.Builder b = ListTasksResponse.newBuilder()
                    .addAllTasks(tasks.stream().map(Credentials::redacted).toList());
            for (Node n : view.nodes().values()) {
                b.putNodeHostnames(n.getId(), n.getHostname());
            }
            return b.build();
        });
    }

    @Override
    public void listNetworks(ListNetworksRequest request, StreamObserver<ListNetworksResponse> out) {
        answer(out, () -> {
            if (swarm.manager().isPresent()) {
                return ListNetworksResponse.newBuilder().addAllNetworks(manager().view().networks().values()).build();
            }
            // A worker lists what it has: the ingress network and the networks its tasks use (as Docker's do).
            StoreView view = swarm.connection().map(ClusterConnection::view).orElse(StoreView.EMPTY);
            java.util.Set<String> here = new java.util.HashSet<>();
            view.tasksOnNode(swarm.nodeId()).forEach(t -> t.getNetworksList().forEach(a -> here.add(a.getNetworkId())));
            return ListNetworksResponse.newBuilder().addAllNetworks(view.networks().values().stream()
                    .filter(n -> n.getSpec().getIngress() || here.contains(n.getId())).toList()).build();
        });
    }

    @Override
    public void createNetwork(CreateNetworkRequest request, StreamObserver<NetworkResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Network n = allocating(() -> {
                Network fresh = Networks.create(m.view(), request.getSpec(), m.now());
                m.write(List.of(Actions.create(fresh)));
                return fresh;
            });
            log.info("Network {} ({}) created: {}, VNI {}", n.getSpec().getName(), n.getId(), n.getSpec().getSubnet(), n.getVni());
            return NetworkResponse.newBuilder().setNetwork(m.view().network(n.getId()).orElse(n)).build();
        });
    }

    @Override
    public void getNetwork(GetNetworkRequest request, StreamObserver<NetworkResponse> out) {
        answer(out, () -> NetworkResponse.newBuilder()
                .setNetwork(NetworkResolver.network(manager().view(), request.getNetwork())).build());
    }

    @Override
    public void removeNetwork(RemoveNetworkRequest request, StreamObserver<RemoveNetworkResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Network n = NetworkResolver.network(m.view(), request.getNetwork());
            if (n.getSpec().getIngress()) {
                throw Errors.precondition("the ingress network carries the routing mesh and cannot be removed");
            }
            List<String> users = m.view().services().values().stream()
                    .filter(s -> s.getSpec().getNetworksList().contains(n.getId()))
                    .map(s -> s.getSpec().getName()).sorted().toList();
            if (!users.isEmpty()) {
                throw Errors.precondition("network " + n.getSpec().getName() + " is in use by service "
                        + String.join(", ", users));
            }
            m.write(List.of(Actions.remove(n)));
            return RemoveNetworkResponse.newBuilder().setId(n.getId()).build();
        });
    }

    /** {@code swarm update --autolock=true|false}: a new unlock key when it goes on, none when it goes off. */
    @Override
    public void updateSwarm(UpdateSwarmRequest request, StreamObserver<UpdateSwarmResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Cluster cluster = cluster(m);
            Cluster.Builder next = cluster.toBuilder();
            UpdateSwarmResponse.Builder answer = UpdateSwarmResponse.newBuilder();
            if (request.hasAutolock() && request.getAutolock() != cluster.getAutolock()) {
                if (request.getAutolock()) {
                    String key = UnlockKey.generate().text();
                    next.setAutolock(true).setUnlockKey(key);
                    answer.setUnlockKey(key);
                } else {
                    next.setAutolock(false).clearUnlockKey();
                }
            }
            if (!next.build().equals(cluster)) {
                writeCluster(m, next.build());
                log.info("Swarm updated: autolock {}", next.getAutolock() ? "on" : "off");
            }
            return answer.build();
        });
    }

    /** {@code swarm unlock-key [--rotate]}: the unlock key, empty when autolock is off. */
    @Override
    public void getUnlockKey(GetUnlockKeyRequest request, StreamObserver<UnlockKeyResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Cluster cluster = cluster(m);
            if (request.getRotate()) {
                if (!cluster.getAutolock()) {
                    throw Errors.precondition("cannot rotate because autolock is not turned on");
                }
                cluster = cluster.toBuilder().setUnlockKey(UnlockKey.generate().text()).build();
                writeCluster(m, cluster);
                log.info("Unlock key rotated");
            }
            return UnlockKeyResponse.newBuilder().setUnlockKey(cluster.getAutolock() ? cluster.getUnlockKey() : "").build();
        });
    }

    @Override
    public void unlockSwarm(UnlockSwarmRequest request, StreamObserver<UnlockSwarmResponse> out) {
        answer(out, () -> {
            swarm.unlock(request.getUnlockKey());
            return UnlockSwarmResponse.getDefaultInstance();
        });
    }

    private static Cluster cluster(Manager m) {
        return m.view().cluster().orElseThrow(() -> Errors.internal("the swarm has no cluster object"));
    }

    private static void writeCluster(Manager m, Cluster next) {
        writeUpdate(m, dev.flotilla.api.raft.v1.StoreAction.newBuilder()
                .setKind(dev.flotilla.api.raft.v1.ActionKind.ACTION_UPDATE).setCluster(next).build());
    }

    /** An update of an object read at its version: "update out of sequence" when it changed since. */
    private static void writeUpdate(Manager m, dev.flotilla.api.raft.v1.StoreAction update) {
        try {
            m.write(List.of(update));
        } catch (StoreConflictException e) {
            if (e.conflict() == StoreConflict.STORE_CONFLICT_VERSION) {
                throw Errors.invalid("update out of sequence");
            }
            throw e;
        }
    }

    @Override
    public void createSecret(CreateSecretRequest request, StreamObserver<SecretResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            SecretSpec spec = request.getSpec();
            Secrets.validate(spec);
            if (m.view().secrets().values().stream().anyMatch(x -> x.getSpec().getName().equals(spec.getName()))) {
                throw Errors.conflict("secret " + spec.getName() + " already exists");
            }
            Secret fresh = Secret.newBuilder().setId(Ids.newId()).setMeta(Actions.meta(m.now())).setSpec(spec).build();
            m.write(List.of(Actions.create(fresh)));
            // The id and name only: never the value (nor its size).
            log.info("Secret {} ({}) created", spec.getName(), fresh.getId());
            return secretAnswer(m, fresh.getId(), fresh);
        });
    }

    @Override
    public void listSecrets(ListSecretsRequest request, StreamObserver<ListSecretsResponse> out) {
        answer(out, () -> ListSecretsResponse.newBuilder().addAllSecrets(manager().view().secrets().values().stream()
                .map(Credentials::redacted).toList()).build());
    }

    @Override
    public void getSecret(GetSecretRequest request, StreamObserver<SecretResponse> out) {
        answer(out, () -> SecretResponse.newBuilder()
                .setSecret(Credentials.redacted(Secrets.find(manager().view(), request.getSecret()))).build());
    }

    @Override
    public void updateSecret(UpdateSecretRequest request, StreamObserver<SecretResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Secret current = Secrets.find(m.view(), request.getSecret());
            if (current.getMeta().getVersion() != request.getVersion()) {
                throw Errors.invalid("update out of sequence");
            }
            Secret next = current.toBuilder().setSpec(Secrets.relabeled(current, request.getSpec()))
                    .setMeta(Actions.touched(current.getMeta(), m.now())).build();
            writeUpdate(m, Actions.update(next));
            return secretAnswer(m, next.getId(), next);
        });
    }

    @Override
    public void removeSecret(RemoveSecretRequest request, StreamObserver<RemoveSecretResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Secret s = Secrets.find(m.view(), request.getSecret());
            Optional<String> inUse = Secrets.inUse(m.view(), s);
            if (inUse.isPresent()) {
                throw Errors.invalid(inUse.get());
            }
            m.write(List.of(Actions.remove(s)));
            log.info("Secret {} ({}) removed", s.getSpec().getName(), s.getId());
            return RemoveSecretResponse.newBuilder().setId(s.getId()).build();
        });
    }

    @Override
    public void createConfig(CreateConfigRequest request, StreamObserver<ConfigResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            ConfigSpec spec = request.getSpec();
            Configs.validate(spec);
            if (m.view().configs().values().stream().anyMatch(x -> x.getSpec().getName().equals(spec.getName()))) {
                throw Errors.conflict("config " + spec.getName() + " already exists");
            }
            Config fresh = Config.newBuilder().setId(Ids.newId()).setMeta(Actions.meta(m.now())).setSpec(spec).build();
            m.write(List.of(Actions.create(fresh)));
            log.info("Config {} ({}) created", spec.getName(), fresh.getId());
            return ConfigResponse.newBuilder().setConfig(m.view().config(fresh.getId()).orElse(fresh)).build();
        });
    }

    @Override
    public void listConfigs(ListConfigsRequest request, StreamObserver<ListConfigsResponse> out) {
        answer(out, () -> ListConfigsResponse.newBuilder().addAllConfigs(manager().view().configs().values()).build());
    }

    @Override
    public void getConfig(GetConfigRequest request, StreamObserver<ConfigResponse> out) {
        answer(out, () -> ConfigResponse.newBuilder().setConfig(Configs.find(manager().view(), request.getConfig())).build());
    }

    @Override
    public void updateConfig(UpdateConfigRequest request, StreamObserver<ConfigResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Config current = Configs.find(m.view(), request.getConfig());
            if (current.getMeta().getVersion() != request.getVersion()) {
                throw Errors.invalid("update out of sequence");
            }
            Config next = current.toBuilder().setSpec(Configs.relabeled(current, request.getSpec()))
                    .setMeta(Actions.touched(current.getMeta(), m.now())).build();
            writeUpdate(m, Actions.update(next));
            return ConfigResponse.newBuilder().setConfig(m.view().config(next.getId()).orElse(next)).build();
        });
    }

    @Override
    public void removeConfig(RemoveConfigRequest request, StreamObserver<RemoveConfigResponse> out) {
        answer(out, () -> {
            Manager m = manager();
            Config c = Configs.find(m.view(), request.getConfig());
            Optional<String> inUse = Configs.inUse(m.view(), c);
            if (inUse.isPresent()) {
                throw Errors.invalid(inUse.get());
            }
            m.write(List.of(Actions.remove(c)));
            log.info("Config {} ({}) removed", c.getSpec().getName(), c.getId());
            return RemoveConfigResponse.newBuilder().setId(c.getId()).build();
        });
    }

    private static SecretResponse secretAnswer(Manager m, String id, Secret written) {
        return SecretResponse.newBuilder().setSecret(Credentials.redacted(m.view().secret(id).orElse(written))).build();
    }

    private Manager manager() {
        return swarm.manager().orElseThrow(() -> Errors.precondition(swarm.notManagerMessage()));
    }

    private static Service service(Manager m, String name) {
        return m.view().findService(name).orElseThrow(() -> Errors.notFound("service " + name + " not found"));
    }

    /** How often a create that chose a subnet, VNI or port itself chooses again after losing it to a concurrent write. */
    static final int ALLOCATION_ATTEMPTS = 3;

    /**
     * Runs {@code create}, which reads the store, chooses what it allocates and writes. When the
     * state machine refuses it because a concurrent write took what it chose, it runs again on the
     * store that now holds the winner; a clash with something the user named (a name, a given
     * subnet or port) is then seen by the API's own checks and answered with their sentence.
     */
    private <T> T allocating(Supplier<T> create) {
        boolean synced = false;
        for (int attempt = 1; ; attempt++) {
            try {
                return create.get();
            } catch (PortAllocator.BusyOnThisNode e) {
                if (synced) {
                    throw Errors.invalid(e.getMessage());
                }
                // An empty transaction: once it is applied here, so is every write before it.
                manager().write(List.of());
                synced = true;
                attempt--;
            } catch (StoreConflictException e) {
                StoreConflict c = e.conflict();
                boolean allocated = c == StoreConflict.STORE_CONFLICT_VNI || c == StoreConflict.STORE_CONFLICT_SUBNET
                        || c == StoreConflict.STORE_CONFLICT_PORT;
                if (!allocated || attempt >= ALLOCATION_ATTEMPTS) {
                    throw e;
                }
                log.debug("A concurrent write took what this create chose ({}); choosing again", e.getMessage());
            }
        }
    }
}
