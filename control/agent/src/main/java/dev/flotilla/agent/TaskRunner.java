package dev.flotilla.agent;

import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.ConfigReference;
import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.Mount;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.SecretReference;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.executor.ContainerSpec;
import dev.flotilla.executor.Controller;
import dev.flotilla.executor.Executor;
import dev.flotilla.executor.InvalidMountException;
import dev.flotilla.executor.MountSpec;
import dev.flotilla.executor.NoSuchImageException;
import dev.flotilla.executor.Registry;
import dev.flotilla.executor.RegistryException;
import dev.flotilla.executor.ResourceLimits;
import dev.flotilla.executor.TaskFile;
import dev.flotilla.common.Ids;
import dev.flotilla.common.TaskNames;
import dev.flotilla.dataplane.addr.Ipv4Interface;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one task on this node, start to end, on its own worker thread: sandbox, container,
 * wait, report, clean up. The container goes through its executor {@link Controller} only: prepare,
 * start, wait, shutdown, remove.
 */
final class TaskRunner implements Runnable, TaskHandle {

    private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);

    /** Docker's default stop grace period. */
    static final Duration STOP_GRACE = Duration.ofSeconds(10);
    /**
     * How long a running task that is asked to stop keeps running before its stop signal. The
     * change that asks for the stop also takes it out of the routing mesh, the VIP pools and DNS on
     * every node as it reaches their sessions (milliseconds); until then those nodes may still send
     * it new connections, so it keeps serving them for this long first (moby/moby#30321).
     */
    static final Duration DRAIN = Duration.ofSeconds(2);
    /** How long `rm -f` waits for the killed task's clean-up. */
    static final Duration REMOVAL_TIMEOUT = Duration.ofSeconds(15);

    private final Task task;
    private final String nodeId;
    private final Executor executor;
    private final TaskSandboxes network;
    private final StatusReporter reporter;
    private final ServiceDiscovery discovery;
    /** The user-defined networks this task's DNS lookups see (empty: no embedded DNS, the host's resolvers). */
    private final List<String> dnsScope;
    private final Runnable onDone;
    private final Map<String, Secret> secrets;
    private final Map<String, Config> configs;
    /** The node's permits to make sandboxes and start containers (see {@link #startsAtOnce}). */
    private final Semaphore starts;
    private final String containerId = Ids.newContainerId();
    // Set by shutdown() from the agent's thread, read by the worker between steps.
    private volatile boolean stopRequested;
    private volatile boolean started;
    // Set by the health monitor's thread once it found the task unhealthy (and reported it failed).
    private volatile boolean unhealthy;
    // Set by the worker before prepare; null until then (no container to stop or remove).
    private volatile Controller controller;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    TaskRunner(Task task, String nodeId, Executor executor, TaskSandboxes network, StatusReporter reporter,
            ServiceDiscovery discovery, List<String> dnsScope, Semaphore starts, Runnable onDone) {
        this(task, nodeId, executor, network, reporter, discovery, dnsScope, Map.of(), Map.of(), starts, onDone);
    }

    /**
     * @param secrets the secrets the task uses, by id, as the node's session received them
     * @param configs likewise its configs
     */
    TaskRunner(Task task, String nodeId, Executor executor, TaskSandboxes network, StatusReporter reporter,
            ServiceDiscovery discovery, List<String> dnsScope, Map<String, Secret> secrets, Map<String, Config> configs,
            Semaphore starts, Runnable onDone) {
        this.task = task;
        this.secrets = Map.copyOf(secrets);
        this.configs = Map.copyOf(configs);
        this.nodeId = nodeId;
        this.executor = executor;
        this.network = network;
        this.reporter = reporter;
        this.discovery = discovery;
        this.dnsScope = discovery == null ? List.of() : List.copyOf(dnsScope);
        this.onDone = onDone;
        this.starts = starts;
    }

    /**
     * How many tasks of a node make their sandbox and start their container at once: one per
     * core, at least two. Each step is a command (ip, cp, mount, runc) and the kernel serializes
     * much of it (namespaces, links and mounts under global locks): a hundred at once, as a
     * 300-replica service on three nodes asks, queue behind each other until some pass their
     * deadlines, while in turns the first tasks run within a second. The other tasks wait in
     * PREPARING, first come first served.
     */
    static Semaphore startsAtOnce() {
        return new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()), true);
    }

    @Override
    public String containerId() {
        return containerId;
    }

    @Override
    public String containerName() {
        return TaskNames.containerName(task.getServiceName(), task.getSlot(), task.getNodeId(), task.getId());
    }

    Task task() {
        return task;
    }

    @Override
    public void run() {
        MDC.put("task.id", task.getId());
        MDC.put("service.id", task.getServiceId());
        try {
            runTask();
        } finally {
            cleanUp();
            MDC.clear();
            onDone.run();
            done.complete(null);
        }
    }

    private void runTask() {
        report(TaskState.PREPARING, "preparing", "");
        try {
            // Before a start permit: a pull may take minutes, the other tasks' starts need not wait.
            executor.ensureImage(task.getSpec().getImage(), task.getSpec().hasRegistryAuth()
                    ? new Registry.Credentials(task.getSpec().getRegistryAuth().getUsername(),
                            task.getSpec().getRegistryAuth().getPassword()) : null);
        } catch (RegistryException e) {
            log.warn("Task {}: no image: {}", task.getId(), e.getMessage());
            report(TaskState.REJECTED, "preparing", e.getMessage());
            return;
        } catch (RuntimeException e) {
            log.warn("Task {}: pulling image {} failed", task.getId(), task.getSpec().getImage(), e);
            report(TaskState.REJECTED, "preparing", "pulling image " + task.getSpec().getImage() + ": " + e.getMessage());
            return;
        }
        Controller container;
        starts.acquireUninterruptibly();
        try {
            container = startContainer();
        } finally {
            starts.release();
        }
        if (container == null) {
            return;
        }
        started = true;
        if (stopRequested) {
            container.shutdown(stopSignal(), stopGrace());
        }
        HealthMonitor health = null;
        HealthConfig check = HealthMonitor.effective(task.getSpec().getHealthcheck(), container.imageHealthcheck());
        if (HealthMonitor.enabled(check)) {
            // STARTING until the first healthy check: only then does it get traffic.
            health = new HealthMonitor(check, container, new HealthMonitor.Listener() {
                public void healthy() {
                    if (!stopRequested) {
                        reportRunning();
                    }
                }

                public void unhealthy() {
                    onUnhealthy();
                }
            });
            Thread checks = new Thread(health, "fl-health-" + Ids.shortId(task.getId()));
            checks.setDaemon(true);
            checks.start();
            log.info("Task {} started as container {} ({}); running once healthy", task.getId(),
                    Ids.shortId(containerId), containerName());
        } else {
            reportRunning();
        }
        int exit = container.waitExit();
        if (health != null) {
            health.stop();
        }
        if (unhealthy) {
            log.info("Task {} container killed as unhealthy", task.getId());
        } else if (stopRequested) {
            report(TaskState.SHUTDOWN, "shutdown", "");
        } else if (exit == 0) {
            report(TaskState.COMPLETE, "finished", "");
        } else {
            report(TaskState.FAILED, "failed", "task: non-zero exit (" + exit + ")", exit);
        }
        log.info("Task {} container exited with {}", task.getId(), exit);
    }

    /**
     * Sandbox, container, start: the started container, or {@code null} once a final state was
     * reported. Runs holding one of the node's {@link #starts} permits.
     */
    private Controller startContainer() {
        if (stopRequested) {
            report(TaskState.SHUTDOWN, "shutdown", "");
            return null;
        }
        String netns;
        try {
            netns = network.createTaskSandbox(task.getId(), attachments());
            if (!dnsScope.isEmpty()) {
                // Before the container starts: its first lookup already finds 127.0.0.11 listening.
                discovery.openSandbox(netns, dnsScope);
            }
        } catch (RuntimeException e) {
            log.warn("Task {}: sandbox failed: {}", task.getId(), e.getMessage());
            report(TaskState.REJECTED, "preparing", "network sandbox: " + e.getMessage());
            return null;
        }
        Controller container;
        try {
            container = executor.controller(spec(netns));
            controller = container;
            container.prepare();
        } catch (NoSuchImageException e) {
            report(TaskState.REJECTED, "preparing", e.getMessage());
            return null;
        } catch (InvalidMountException e) {
            log.warn("Task {}: {}", task.getId(), e.getMessage());
            reporter.report(task.getId(), TaskStatus.newBuilder()
                    .setState(TaskState.REJECTED).setMessage("preparing").setErr(e.getMessage())
                    .setMissingBindSource(e.missingBindSource()).setContainerId(containerId)
                    .setTimestampMs(System.currentTimeMillis()).build());
            return null;
        } catch (RuntimeException e) {
            log.warn("Task {}: container create failed: {}", task.getId(), e.getMessage());
            report(TaskState.REJECTED, "preparing", e.getMessage());
            return null;
        }
        if (stopRequested) {
            report(TaskState.SHUTDOWN, "shutdown", "");
            return null;
        }
        report(TaskState.STARTING, "starting", "");
        try {
            container.start();
        } catch (RuntimeException e) {
            report(TaskState.FAILED, "starting", "starting container failed: " + e.getMessage());
            return null;
        }
        return container;
    }

    private void reportRunning() {
        reporter.report(task.getId(), TaskStatus.newBuilder()
                .setState(TaskState.RUNNING).setMessage("started").setContainerId(containerId)
                .setTimestampMs(System.currentTimeMillis()).build());
        log.info("Task {} running as container {} ({})", task.getId(), Ids.shortId(containerId), containerName());
    }

    /**
     * Docker's verdict on an unhealthy task: reported failed first (so every node takes it out of
     * its pools), then killed; the orchestrator replaces it.
     */
    private void onUnhealthy() {
        if (stopRequested) {
            return;
        }
        unhealthy = true;
        report(TaskState.FAILED, "unhealthy", "task: non-zero exit (137): dockerexec: unhealthy container", 137);
        log.warn("Task {} is unhealthy: killing container {}", task.getId(), Ids.shortId(containerId));
        try {
            controller.terminate();
        } catch (RuntimeException e) {
            log.debug("Task {}: kill of unhealthy container {}: {}", task.getId(), containerId, e.getMessage());
        }
    }

    /**
     * Asks the task to stop: a running one keeps serving for {@link #DRAIN} while every node takes
     * it out of its pools, then gets its stop signal (SIGTERM unless {@code --stop-signal}), then
     * SIGKILL after its grace period (10 s unless {@code --stop-grace-period}). Only the first call
     * acts; the agent asks on every pass until the task is gone. Blocks its (worker) thread.
     */
    void shutdown() {
        shutdown(true);
    }

    /**
     * As {@link #shutdown()}; without {@code drain} the signal goes at once (the daemon stops: the
     * other nodes learn of it from its missed heartbeats, not from a change they could act on).
     */
    void shutdown(boolean drain) {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        stopRequested = true;
        if (started) {
            if (drain) {
                LockSupport.parkNanos(DRAIN.toNanos());
            }
            try {
                controller.shutdown(stopSignal(), stopGrace());
            } catch (RuntimeException e) {
                log.debug("Task {}: stop of container {}: {}", task.getId(), containerId, e.getMessage());
            }
        }
    }

    @Override
    public void killAndAwaitRemoval() {
        if (started) {
            // Fine if it exited meanwhile: the runner is then already reporting and cleaning up.
            controller.terminate();
        }
        try {
            done.get(REMOVAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Task {}: container {} not removed within {}", task.getId(), containerId, REMOVAL_TIMEOUT);
        }
    }

    private void cleanUp() {
        Controller container = controller;
        try {
            if (container != null) {
                container.remove();
            }
        } catch (RuntimeException e) {
            log.warn("Task {}: removing container {} failed: {}", task.getId(), containerId, e.getMessage());
        }
        if (discovery != null) {
            try {
                discovery.closeSandbox(network.taskNetns(task.getId()));
            } catch (RuntimeException e) {
                log.warn("Task {}: closing its DNS listeners failed: {}", task.getId(), e.getMessage());
            }
        }
        try {
            network.removeTaskSandbox(task.getId());
        } catch (RuntimeException e) {
            log.warn("Task {}: removing its sandbox failed: {}", task.getId(), e.getMessage());
        }
    }

    private List<SandboxNetwork.Attachment> attachments() {
        List<SandboxNetwork.Attachment> out = new ArrayList<>();
        for (NetworkAttachment a : task.getNetworksList()) {
            Ipv4Interface address = Ipv4Interface.parse(a.getAddress());
            out.add(new SandboxNetwork.Attachment(a.getNetworkId(), address.address(), address.prefixLength()));
        }
        return out;
    }

    private String stopSignal() {
        return task.getSpec().getStopSignal().isEmpty() ? "TERM" : task.getSpec().getStopSignal();
    }

    private Duration stopGrace() {
        return task.getSpec().hasStopGracePeriodMs() ? Duration.ofMillis(task.getSpec().getStopGracePeriodMs()) : STOP_GRACE;
    }

    private ContainerSpec spec(String netns) {
        String hostname = task.getSpec().getHostname().isEmpty()
                ? containerId.substring(0, 12) : task.getSpec().getHostname();
        return new ContainerSpec(containerId, containerName(), task.getSpec().getImage(),
                task.getSpec().getArgsList(), task.getSpec().getEnvList(), hostname,
                Path.of("/run/netns", netns),
                Map.of("flotilla.task.id", task.getId(),
                        "flotilla.service.id", task.getServiceId(),
                        "flotilla.node.id", nodeId),
                null, !dnsScope.isEmpty(), limits(task.getSpec().getResources().getLimits()), secretFiles(),
                configFiles(), mounts());
    }

    private List<MountSpec> mounts() {
        List<MountSpec> mounts = new ArrayList<>();
        for (Mount m : task.getSpec().getMountsList()) {
            MountSpec.Type type = switch (m.getType()) {
                case BIND -> MountSpec.Type.BIND;
                case TMPFS -> MountSpec.Type.TMPFS;
                case VOLUME -> MountSpec.Type.VOLUME;
                case UNRECOGNIZED -> throw new IllegalArgumentException("invalid mount type of " + m.getTarget());
            };
            mounts.add(new MountSpec(type, m.getSource(), m.getTarget(), m.getReadOnly(), m.getVolume().getNoCopy(),
                    m.getVolume().getLabelsMap(), m.getVolume().getDriver(), m.getTmpfs().getSizeBytes(),
                    m.getTmpfs().getMode(), m.getBindPropagation()));
        }
        return mounts;
    }

    /** The task's secrets as files; a secret the session did not bring rejects the task. */
    private List<TaskFile> secretFiles() {
        List<TaskFile> files = new ArrayList<>();
        for (SecretReference ref : task.getSpec().getSecretsList()) {
            Secret s = secrets.get(ref.getSecretId());
            if (s == null) {
                throw new IllegalArgumentException("secret " + ref.getSecretName() + " (" + ref.getSecretId()
                        + ") not found on this node");
            }
            files.add(file(ref.getFile(), ref.getFile().getName(), s.getSpec().getData().toByteArray()));
        }
        return files;
    }

    /** The task's configs as files, at {@code /<target>} for a relative target (Docker's); a missing one rejects the task. */
    private List<TaskFile> configFiles() {
        List<TaskFile> files = new ArrayList<>();
        for (ConfigReference ref : task.getSpec().getConfigsList()) {
            Config c = configs.get(ref.getConfigId());
            if (c == null) {
                throw new IllegalArgumentException("config " + ref.getConfigName() + " (" + ref.getConfigId()
                        + ") not found on this node");
            }
            String target = ref.getFile().getName();
            files.add(file(ref.getFile(), target.startsWith("/") ? target : "/" + target, c.getSpec().getData().toByteArray()));
        }
        return files;
    }

    private static TaskFile file(FileTarget f, String target, byte[] data) {
        return new TaskFile(target, data, Integer.parseInt(f.getUid()), Integer.parseInt(f.getGid()), f.getMode());
    }

    private static ResourceLimits limits(Resources r) {
        return new ResourceLimits(r.getNanoCpus(), r.getMemoryBytes(), r.getPids());
    }

    private void report(TaskState state, String message, String err) {
        report(state, message, err, 0);
    }

    private void report(TaskState state, String message, String err, int exitCode) {
        reporter.report(task.getId(), TaskStatus.newBuilder()
                .setState(state).setMessage(message).setErr(err).setExitCode(exitCode)
                .setContainerId(containerId).setTimestampMs(System.currentTimeMillis()).build());
    }
}
