package dev.flotilla.daemon;

import dev.flotilla.api.v1.ContainerLogsRequest;
import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogSource;
import dev.flotilla.cluster.logs.LogReader;
import java.util.List;
import dev.flotilla.common.Ids;
import dev.flotilla.common.Version;
import dev.flotilla.manager.controlapi.ControlService;
import dev.flotilla.cluster.rpc.Errors;

import dev.flotilla.agent.Agent;
import dev.flotilla.agent.TaskHandle;
import dev.flotilla.api.v1.ContainerSummary;
import dev.flotilla.api.v1.EngineGrpc;
import dev.flotilla.api.v1.ImageSummary;
import dev.flotilla.api.v1.ImportImageRequest;
import dev.flotilla.api.v1.InfoRequest;
import dev.flotilla.api.v1.InfoResponse;
import dev.flotilla.api.v1.ListContainersRequest;
import dev.flotilla.api.v1.ListContainersResponse;
import dev.flotilla.api.v1.ListImagesRequest;
import dev.flotilla.api.v1.ListImagesResponse;
import dev.flotilla.api.v1.LoginRequest;
import dev.flotilla.api.v1.LoginResponse;
import dev.flotilla.api.v1.PullImageRequest;
import dev.flotilla.api.v1.PullImageResponse;
import dev.flotilla.api.v1.RemoveImageRequest;
import dev.flotilla.api.v1.RemoveImageResponse;
import dev.flotilla.api.v1.RegistryAuth;
import dev.flotilla.api.v1.RemoveContainerRequest;
import dev.flotilla.api.v1.RemoveContainerResponse;
import dev.flotilla.api.v1.ResolveContainerRequest;
import dev.flotilla.daemon.DaemonConfig;
import dev.flotilla.executor.ContainerState;
import dev.flotilla.executor.ContainerStatus;
import dev.flotilla.executor.Image;
import dev.flotilla.executor.ImageConfig;
import dev.flotilla.executor.ImageStore;
import dev.flotilla.executor.Registry;
import dev.flotilla.executor.RegistryException;
import dev.flotilla.executor.RuncRuntime;
import dev.flotilla.api.v1.CreateVolumeRequest;
import dev.flotilla.api.v1.InspectVolumeRequest;
import dev.flotilla.api.v1.ListVolumesRequest;
import dev.flotilla.api.v1.ListVolumesResponse;
import dev.flotilla.api.v1.RemoveVolumeRequest;
import dev.flotilla.api.v1.RemoveVolumeResponse;
import dev.flotilla.api.v1.Volume;
import dev.flotilla.executor.MountSpec;
import dev.flotilla.executor.NoSuchVolumeException;
import dev.flotilla.executor.VolumeInUseException;
import dev.flotilla.executor.VolumeStore;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/** This node's engine: images and containers, whatever the swarm decides. */
public final class EngineService extends EngineGrpc.EngineImplBase {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EngineService.class);

    private final DaemonConfig config;
    private final ImageStore images;
    private final RuncRuntime runtime;
    private final ControlService.Swarm swarm;
    private final Supplier<Agent> agent;
    private final LogReader logs;

    public EngineService(DaemonConfig config, ImageStore images, RuncRuntime runtime, ControlService.Swarm swarm,
            Supplier<Agent> agent, LogReader logs) {
        this.logs = logs;
        this.config = config;
        this.images = images;
        this.runtime = runtime;
        this.swarm = swarm;
        this.agent = agent;
    }

    @Override
    public void info(InfoRequest request, StreamObserver<InfoResponse> out) {
        Errors.answer(out, () -> InfoResponse.newBuilder()
                .setSwarmState(swarm.nodeId().isEmpty() ? "inactive" : swarm.locked() ? "locked" : "active")
                .setNodeId(swarm.nodeId())
                .setManager(swarm.manager().isPresent())
                .setNodeAddr(swarm.connection().flatMap(c -> c.view().node(swarm.nodeId())).map(n -> n.getAddr()).orElse(""))
                .addAllManagers(swarm.managers())
                .setDataRoot(config.dataRoot().toString())
                .setVersion(Version.VERSION)
                .build());
    }

    @Override
    public void importImage(ImportImageRequest request, StreamObserver<ImageSummary> out) {
        Errors.answer(out, () -> {
            dev.flotilla.api.v1.HealthConfig h = request.getHealthcheck();
            ImageConfig.Healthcheck check = request.hasHealthcheck() ? new ImageConfig.Healthcheck(h.getTestList(),
                    h.getIntervalMs(), h.getTimeoutMs(), h.getStartPeriodMs(), h.getRetries()) : null;
            ImageConfig imageConfig = new ImageConfig(request.getCmdList(), request.getEnvList(), null, check);
            return summary(images.importImage(request.getReference(), Path.of(request.getPath()), imageConfig));
        });
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> out) {
        Errors.answer(out, () -> ListImagesResponse.newBuilder()
                .addAllImages(images.list().stream().map(EngineService::summary).toList()).build());
    }

    /** The executor's credentials of an API {@link RegistryAuth}; null (anonymous) for none. */
    public static Registry.Credentials credentials(RegistryAuth auth) {
        return auth.getUsername().isEmpty() ? null : new Registry.Credentials(auth.getUsername(), auth.getPassword());
    }

    @Override
    public void login(LoginRequest request, StreamObserver<LoginResponse> out) {
        Errors.answer(out, () -> {
            if (request.getAuth().getUsername().isEmpty() || request.getAuth().getPassword().isEmpty()) {
                throw Errors.invalid("Username and password are required");
            }
            try {
                images.registry().login(request.getServer(), credentials(request.getAuth()));
            } catch (RegistryException e) {
                throw Errors.precondition("login attempt to " + request.getServer() + " failed: " + e.reason());
            }
            log.info("Login to {} as {} checked", request.getServer(), request.getAuth().getUsername());
            return LoginResponse.getDefaultInstance();
        });
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> out) {
        Errors.answer(out, () -> {
            ImageStore.Pull pull;
            try {
                pull = images.pull(request.getReference(), credentials(request.getAuth()));
            } catch (RegistryException e) {
                // The registry's refusal, not a missing object of this daemon: "Error response from daemon: ...".
                throw Errors.precondition(e.getMessage());
            }
            return PullImageResponse.newBuilder().setImage(summary(pull.image())).setDigest(pull.digest())
                    .setDownloaded(pull.downloaded()).build();
        });
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> out) {
        Errors.answer(out, () -> {
            String reference = request.getReference();
            Image image = images.find(reference).orElseThrow(() ->
                    Errors.notFound("No such image: " + reference));
            for (ContainerState c : runtime.list()) {
                if (images.find(c.container().image()).map(Image::id).filter(image.id()::equals).isPresent()) {
                    throw Errors.conflict("conflict: unable to remove repository reference \"" + reference
                            + "\" (must force) - container " + c.container().shortId()
                            + " is using its referenced image " + Ids.shortId(image.id().replace("sha256:", "")));
                }
            }
            ImageStore.Removed removed = images.untag(reference).orElseThrow(() ->
                    Errors.notFound("No such image: " + reference));
            RemoveImageResponse.Builder b = RemoveImageResponse.newBuilder().addAllUntagged(removed.untagged());
            if (removed.deletedId() != null) {
                b.setDeleted(removed.deletedId());
            }
            return b.build();
        });
    }

    @Override
    public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> out) {
        Errors.answer(out, () -> {
            ListContainersResponse.Builder b = ListContainersResponse.newBuilder();
            for (ContainerState c : runtime.list()) {
                if (request.getAll() || c.status() == ContainerStatus.RUNNING) {
                    b.addContainers(summary(c));
                }
            }
            return b.build();
        });
    }

    @Override
    public void resolveContainer(ResolveContainerRequest request, StreamObserver<ContainerSummary> out) {
        Errors.answer(out, () -> {
            ContainerState c = find(request.getContainer());
            if (c.status() != ContainerStatus.RUNNING) {
                throw Errors.precondition("container " + c.container().shortId() + " is not running");
            }
            return summary(c);
        });
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> out) {
        Errors.answer(out, () -> {
            ContainerState c = find(request.getContainer());
            if (c.status() == ContainerStatus.RUNNING && !request.getForce()) {
                throw Errors.conflict("You cannot remove a running container " + c.id()
                        + ". Stop the container before attempting removal or force remove");
            }
            Optional<TaskHandle> task = Optional.ofNullable(agent.get()).flatMap(a -> a.findContainer(c.id()));
            if (task.isPresent()) {
                // The task fails with exit 137 and its service replaces it; the agent removes the container.
                task.get().killAndAwaitRemoval();
            } else {
                runtime.remove(c.id());
            }
            return RemoveContainerResponse.newBuilder().setName(request.getContainer()).build();
        });
    }

    @Override
    public io.grpc.stub.StreamObserver<dev.flotilla.api.v1.ExecInput> exec(io.grpc.stub.StreamObserver<dev.flotilla.api.v1.ExecOutput> out) {
        return new ExecSession(out, start -> {
            if (start.getCommandCount() == 0) {
                throw Errors.invalid("exec needs a command");
            }
            ContainerState c = find(start.getContainer());
            if (c.status() != ContainerStatus.RUNNING) {
                throw Errors.precondition("container " + c.container().shortId() + " is not running");
            }
            return runtime.execArgv(c.id(), start.getCommandList());
        });
    }

    @Override
    public void containerLogs(ContainerLogsRequest request, StreamObserver<LogMessage> out) {
        ContainerState c;
        try {
            c = find(request.getContainer());
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
            return;
        }
        Runnable cancel = logs.read(swarm.nodeId(), List.of(LogSource.newBuilder().setContainerId(c.id())
                .setTaskId(c.container().labels().getOrDefault("flotilla.task.id", "")).build()), request.getOptions(), out);
        ((io.grpc.stub.ServerCallStreamObserver<LogMessage>) out).setOnCancelHandler(cancel);
    }

    /** By full id, name, or unique id prefix, as Docker resolves containers. */
    private ContainerState find(String key) {
        return runtime.find(key).orElseThrow(() -> Errors.notFound("No such container: " + key));
    }

    private ContainerSummary summary(ContainerState c) {
        return ContainerSummary.newBuilder()
                .setId(c.id())
                .setName(c.container().name())
                .setImage(c.container().image())
                .setCommand(String.join(" ", c.container().command()))
                .setCreatedMs(c.container().created().toEpochMilli())
                .setStatus(status(c))
                .build();
    }

    private static String status(ContainerState c) {
        return switch (c.status()) {
            case RUNNING -> "Up";
            case CREATED -> "Created";
            case STOPPED -> "Exited (" + c.exitCode().orElse(-1) + ")";
            case MISSING -> "Dead";
        };
    }

    private static ImageSummary summary(Image i) {
        return ImageSummary.newBuilder()
                .setReference(i.reference())
                .setId(i.id())
                .setCreatedMs(i.created().toEpochMilli())
                .setSize(i.size())
                .build();
    }

    @Override
    public void createVolume(CreateVolumeRequest request, StreamObserver<Volume> out) {
        Errors.answer(out, () -> {
            String driver = request.getDriver().isEmpty() ? MountSpec.LOCAL_DRIVER : request.getDriver();
            if (!driver.equals(MountSpec.LOCAL_DRIVER)) {
                throw Errors.notFound("create " + request.getName() + ": error looking up volume plugin " + driver
                        + ": plugin \"" + driver + "\" not found");
            }
            String name = request.getName().isEmpty() ? Ids.newContainerId() : request.getName();
            VolumeStore.Volume v;
            try {
                v = runtime.volumes().ensure(name, request.getLabelsMap(), request.getOptionsMap(), false).volume();
            } catch (IllegalArgumentException e) {
                throw Errors.invalid("create " + name + ": " + e.getMessage());
            }
            return volume(v);
        });
    }

    @Override
    public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> out) {
        Errors.answer(out, () -> ListVolumesResponse.newBuilder()
                .addAllVolumes(runtime.volumes().list().stream().map(this::volume).toList()).build());
    }

    @Override
    public void inspectVolume(InspectVolumeRequest request, StreamObserver<Volume> out) {
        Errors.answer(out, () -> volume(runtime.volumes().find(request.getName()).orElseThrow(() ->
                Errors.notFound("get " + request.getName() + ": no such volume"))));
    }

    @Override
    public void removeVolume(RemoveVolumeRequest request, StreamObserver<RemoveVolumeResponse> out) {
        Errors.answer(out, () -> {
            try {
                runtime.removeVolume(request.getName(), request.getForce());
            } catch (NoSuchVolumeException e) {
                throw Errors.notFound(e.getMessage());
            } catch (VolumeInUseException e) {
                throw Errors.conflict(e.getMessage());
            }
            return RemoveVolumeResponse.getDefaultInstance();
        });
    }

    private Volume volume(VolumeStore.Volume v) {
        return Volume.newBuilder().setName(v.name()).setDriver(v.driver()).setMountpoint(v.mountpoint().toString())
                .setCreatedMs(v.created().toEpochMilli()).putAllLabels(v.labels()).putAllOptions(v.options())
                .setAnonymous(v.anonymous()).addAllUsedBy(runtime.volumeUsers(v.name())).build();
    }
}
