package dev.flotilla.executor;

import dev.flotilla.common.DurableFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks as OCI containers with {@code runc}, one bundle directory per container under the state root.
 *
 * <p>Everything this class knows lives in the bundles and in runc, not in memory: a restarted daemon opens a
 * new instance over the same state root, {@link #list() lists} what the previous run left and adopts or
 * removes it. A container's exit code survives the daemon because a {@link Shim} outside the daemon's session
 * waits for it.
 */
public final class RuncRuntime {

    private static final Logger log = LoggerFactory.getLogger(RuncRuntime.class);

    /** The exit code {@link #exitFuture} reports when a container ended without recording one. */
    public static final int UNKNOWN_EXIT_CODE = -1;

    /** runc creates a busybox-sized container in well under a second; a loaded node may need several. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    /** How long SIGKILL may take to end a container; more means the kernel is stuck, not the task. */
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_BYTES = 2048;
    private static final Pattern SIGNAL = Pattern.compile("[A-Z][A-Z0-9+-]*|[0-9]{1,2}");
    private static final Pattern BUNDLE_NAME = Pattern.compile("[0-9a-f]{64}");

    private final Path stateRoot;
    private final ImageStore images;
    private final Runc runc;
    private final RootfsProvisioner rootfs;
    private final ContainerLogs logs;
    private final VolumeStore volumes;
    /**
     * Held while a create records and makes its volumes and while a volume is removed: a volume a
     * container's metadata names is never removed, and one removed before is made again.
     */
    private final Object volumeLock = new Object();

    /** A runtime over {@code stateRoot} (usually {@code <data-root>/containers}) with runc's default root. */
    public RuncRuntime(Path stateRoot, ImageStore images, String runcBinary) {
        this(stateRoot, images, runcBinary, null);
    }

    /**
     * @param runcRoot runc's {@code --root}; {@code null} for runc's default ({@code /run/runc})
     */
    public RuncRuntime(Path stateRoot, ImageStore images, String runcBinary, Path runcRoot) {
        this(stateRoot, images, new VolumeStore(stateRoot.resolve("volumes")), runcBinary, runcRoot);
    }

    /**
     * @param volumes the node's named volumes (usually {@code <data-root>/volumes})
     * @param runcRoot runc's {@code --root}; {@code null} for runc's default ({@code /run/runc})
     */
    public RuncRuntime(Path stateRoot, ImageStore images, VolumeStore volumes, String runcBinary, Path runcRoot) {
        this.stateRoot = stateRoot.toAbsolutePath().normalize();
        this.images = Objects.requireNonNull(images, "images");
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.runc = new Runc(Objects.requireNonNull(runcBinary, "runcBinary"), runcRoot);
        try {
            Files.createDirectories(this.stateRoot);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the container state root " + this.stateRoot, e);
        }
        this.rootfs = new RootfsProvisioner(this.stateRoot, images.scratchDir());
        this.logs = new ContainerLogs(this.stateRoot.resolve("logs"));
    }

    /**
     * Pulls {@code reference} unless this node has that very image (see {@link ImageStore#ensure}).
     *
     * @throws RegistryException with the registry's reason, if the node has no such image either
     */
    public void ensureImage(String reference, Registry.Credentials credentials) {
        images.ensure(reference, credentials);
    }

    /** How the image {@code reference} on this node says to run it; empty if it is not here. */
    public Optional<ImageConfig> imageConfig(String reference) {
        return images.find(reference).map(Image::config);
    }

    /** The containers' stdout and stderr, also of removed ones until {@link ContainerLogs#retain} forgets them. */
    public ContainerLogs logs() {
        return logs;
    }

    /**
     * Creates the container's bundle: its rootfs, config.json and metadata. It does not run yet.
     *
     * @throws NoSuchImageException if the image is not on this node
     * @throws IllegalArgumentException if there is no command to run, or the container already exists
     */
    public Container create(ContainerSpec spec) {
        Image image = images.find(spec.image())
                .orElseThrow(() -> new NoSuchImageException(ImageStore.normalize(spec.image())));
        VolumeMounts.check(spec.mounts());
        ProcessConfig process = ProcessConfig.of(spec, image);
        Bundle bundle = Bundle.of(stateRoot, spec.id());
        try {
            Files.createDirectory(bundle.dir());
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException("container " + spec.id() + " already exists");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create bundle " + bundle + ": " + e.getMessage(), e);
        }
        Instant created = Instant.now();
        try {
            // Metadata first: should the daemon die half-way, list() still shows whose leftover this is.
            ContainerMetadata metadata = ContainerMetadata.of(spec, image, process, created, rootfs.mode(),
                    VolumeMounts.volumes(spec.id(), spec.mounts(), false),
                    VolumeMounts.volumes(spec.id(), spec.mounts(), true));
            Map<String, Path> volumeData = new java.util.HashMap<>();
            synchronized (volumeLock) {
                Json.write(bundle.metadata(), metadata);
                for (MountSpec m : spec.mounts()) {
                    if (m.type() == MountSpec.Type.VOLUME) {
                        VolumeStore.Volume v = volumes.ensure(VolumeMounts.volumeName(spec.id(), m), m.volumeLabels(),
                                Map.of(), m.source().isEmpty()).volume();
                        volumeData.put(m.normalizedTarget(), v.mountpoint());
                    }
                }
            }
            for (MountSpec m : spec.mounts()) {
                if (m.type() == MountSpec.Type.VOLUME) {
                    VolumeMounts.fill(image.rootfs(), m, volumeData.get(m.normalizedTarget()));
                }
            }
            Path resolvConf = EtcFiles.write(bundle, spec);
            TaskFileMounts.write(bundle, spec.secrets());
            TaskFileMounts.writeConfigs(bundle, spec.configs());
            rootfs.provision(image.rootfs(), bundle);
            Json.write(bundle.config(), OciConfig.build(spec, process, bundle, resolvConf,
                    VolumeMounts.oci(spec.mounts(), m -> volumeData.get(m.normalizedTarget()))));
            log.info("Created container {} ({}) from {} with {} rootfs", spec.id(), spec.name(), image.reference(),
                    rootfs.mode());
            return metadata.toContainer(bundle.dir());
        } catch (IOException | RuntimeException e) {
            discard(bundle, e);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot create container " + spec.name() + ": " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Starts a created container in the background and returns once its process runs (or already ended).
     *
     * @throws ContainerRuntimeException if runc could not start it; the message quotes runc's error
     */
    public void start(Container container) {
        start(container.id());
    }

    /** {@link #start(Container)} by id. */
    public void start(String id) {
        Bundle bundle = existing(id);
        String name = bundle.readMetadata().map(ContainerMetadata::name).orElse(id);
        if (bundle.wasStarted()) {
            throw new IllegalStateException("container " + id + " was already started");
        }
        ProcessHandle shim;
        try {
            logs.prepare(id);
            shim = Shim.launch(bundle, logs.streamDir(id, false), logs.streamDir(id, true), runc.argv(List.of("run", "--bundle", bundle.dir().toString(),
                    "--pid-file", bundle.pidFile().toString(), id)));
        } catch (IOException e) {
            throw new ContainerRuntimeException("cannot start container " + name + ": " + e.getMessage(), e);
        }
        // runc writes the pid file only once the process started: present = started, even if it already ended.
        boolean settled = Poll.until(() -> Files.exists(bundle.pidFile()) || !shim.isAlive(), START_TIMEOUT,
                shim.onExit());
        if (Files.exists(bundle.pidFile())) {
            // runc renames its pid file into place without syncing it: make it survive a power cut too.
            try {
                DurableFiles.syncFile(bundle.pidFile());
                DurableFiles.syncDirectory(bundle.dir());
            } catch (IOException e) {
                log.warn("Could not sync the pid file of container {}: {}", id, e.getMessage());
            }
            log.info("Started container {} ({})", id, name);
            return;
        }
        if (!settled) {
            runc.deleteForce(id);
            throw new ContainerRuntimeException("container " + name + " did not start within "
                    + START_TIMEOUT.toSeconds() + " s" + logTail(bundle));
        }
        throw new ContainerRuntimeException("cannot start container " + name + " (runc exit code "
                + bundle.exitCode().orElse(UNKNOWN_EXIT_CODE) + ")" + logTail(bundle));
    }

    /**
     * Completes with the container's exit code when it ends: 137 when SIGKILLed, {@link #UNKNOWN_EXIT_CODE} if
     * it ended without recording one. Works for containers adopted from an earlier run of the daemon.
     */
    public CompletableFuture<Integer> exitFuture(Container container) {
        return exitFuture(container.id());
    }

    /** {@link #exitFuture(Container)} by id. */
    public CompletableFuture<Integer> exitFuture(String id) {
        Bundle bundle = existing(id);
        if (!bundle.wasStarted()) {
            throw new IllegalStateException("container " + id + " was not started");
        }
        OptionalInt code = bundle.exitCode();
        if (code.isPresent()) {
            return CompletableFuture.completedFuture(code.getAsInt());
        }
        return Shim.find(bundle)
                .map(shim -> shim.onExit().thenApply(ended -> bundle.exitCode().orElse(UNKNOWN_EXIT_CODE)))
                .orElseGet(() -> CompletableFuture.completedFuture(bundle.exitCode().orElse(UNKNOWN_EXIT_CODE)));
    }

    /**
     * Unmounts the secrets of a container that ended: their values leave the node with the task,
     * before the container itself is removed. Fine if it has none.
     */
    public void releaseSecrets(String id) {
        TaskFileMounts.release(Bundle.of(stateRoot, id));
    }

    /**
     * Sends a signal ({@code KILL}, {@code SIGTERM}, {@code 9}) to the container's init process.
     *
     * @throws IllegalStateException if it is not running
     */
    public void kill(String id, String signal) {
        Bundle bundle = existing(id);
        if (signal == null || !SIGNAL.matcher(signal).matches()) {
            throw new IllegalArgumentException("invalid signal \"" + signal + "\": expected a name like KILL or SIGTERM, or a number");
        }
        if (!runc.kill(bundle.id(), signal)) {
            throw new IllegalStateException("container " + id + " is not running");
        }
        log.info("Sent {} to container {}", signal, id);
    }

    /** SIGTERM, then SIGKILL if it still runs after {@code grace}; returns once it ended. Fine if it is not running. */
    public void stop(String id, Duration grace) {
        stop(id, "TERM", grace);
    }

    /**
     * {@code signal} (as {@link #kill} takes it), then SIGKILL if it still runs after {@code grace};
     * returns once it ended. Fine if it is not running.
     */
    public void stop(String id, String signal, Duration grace) {
        Bundle bundle = existing(id);
        if (signal == null || !SIGNAL.matcher(signal).matches()) {
            throw new IllegalArgumentException("invalid signal \"" + signal + "\": expected a name like KILL or SIGTERM, or a number");
        }
        if (!runc.kill(id, signal)) {
            return;
        }
        if (awaitEnd(bundle, grace)) {
            log.info("Container {} stopped on {}", id, signal);
            return;
        }
        log.info("Container {} still runs {} ms after {}; sending SIGKILL", id, grace.toMillis(), signal);
        runc.kill(id, "KILL");
        if (!awaitEnd(bundle, KILL_TIMEOUT)) {
            throw new ContainerRuntimeException("container " + id + " still runs " + KILL_TIMEOUT.toSeconds()
                    + " s after SIGKILL");
        }
    }

    /** Kills the container if it runs, unmounts its rootfs and deletes its bundle. Fine if there is none. */
    public void remove(String id) {
        Bundle bundle = Bundle.of(stateRoot, id);
        runc.deleteForce(id);
        // Let the shim record the exit code and let go of the bundle before it is deleted.
        Shim.find(bundle).ifPresent(shim -> {
            if (!Poll.until(() -> !shim.isAlive(), KILL_TIMEOUT, shim.onExit())) {
                killShimAndContainer(id, shim);
            }
        });
        TaskFileMounts.release(bundle);
        rootfs.release(bundle);
        List<String> anonymous = anonymousVolumes(bundle);
        try {
            FileTrees.deleteRecursively(bundle.dir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete bundle " + bundle + ": " + e.getMessage(), e);
        }
        // Docker removes a task container with its anonymous volumes; named ones stay.
        synchronized (volumeLock) {
            anonymous.forEach(name -> volumes.find(name).ifPresent(v -> volumes.delete(name)));
        }
        log.info("Removed container {}", id);
    }

    private static List<String> anonymousVolumes(Bundle bundle) {
        try {
            return bundle.readMetadata().map(m -> m.anonymousVolumes() == null ? List.<String>of() : m.anonymousVolumes())
                    .orElse(List.of());
        } catch (UncheckedIOException e) {
            log.warn("Cannot read which anonymous volumes container {} has: {}", bundle.id(), e.getMessage());
            return List.of();
        }
    }

    /** The node's named volumes: {@code volume create}, {@code ls} and {@code inspect}. */
    public VolumeStore volumes() {
        return volumes;
    }

    /** The containers of this node that mount volume {@code name}, by id. */
    public List<String> volumeUsers(String name) {
        List<String> users = new ArrayList<>();
        for (Bundle bundle : bundles()) {
            try {
                if (bundle.readMetadata().map(m -> m.allVolumes().contains(name)).orElse(false)) {
                    users.add(bundle.id());
                }
            } catch (UncheckedIOException e) {
                // Being removed meanwhile: it mounts nothing any more.
            }
        }
        return users;
    }

    /**
     * Removes a volume and its data ({@code volume rm}).
     *
     * @throws NoSuchVolumeException unless it exists or {@code force}
     * @throws VolumeInUseException while a container of this node mounts it, with Docker's message
     */
    public void removeVolume(String name, boolean force) {
        synchronized (volumeLock) {
            if (volumes.find(name).isEmpty()) {
                if (force) {
                    return;
                }
                throw new NoSuchVolumeException(name);
            }
            List<String> users = volumeUsers(name);
            if (!users.isEmpty()) {
                throw new VolumeInUseException("remove " + name + ": volume is in use - [" + String.join(", ", users) + "]");
            }
            volumes.delete(name);
        }
    }

    /**
     * A shim that outlives the delete: its {@code runc run} had not made the container yet when
     * {@code runc delete} looked (a start still under way on a loaded host), and made it after.
     * Killing the shell alone would leave runc, the container and both multilogs running with no
     * bundle, so its whole tree goes, then runc forgets whatever container it made.
     */
    private void killShimAndContainer(String id, ProcessHandle shim) {
        List<ProcessHandle> tree = new ArrayList<>(shim.descendants().toList());
        tree.add(shim);
        log.warn("Shim {} of container {} outlived the delete (the container was still being started); killing "
                + "its {} processes", shim.pid(), id, tree.size());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : tree) {
            if (!Poll.until(() -> !p.isAlive(), KILL_TIMEOUT, p.onExit())) {
                throw new ContainerRuntimeException("process " + p.pid() + " of container " + id + " still runs "
                        + KILL_TIMEOUT.toSeconds() + " s after SIGKILL");
            }
        }
        runc.deleteForce(id);
    }

    /** Every container with a bundle here, oldest first: what a restarted daemon adopts or removes. */
    public List<ContainerState> list() {
        List<ContainerState> states = new ArrayList<>();
        for (Bundle bundle : bundles()) {
            states.add(stateOf(bundle));
        }
        states.sort(Comparator.comparing((ContainerState s) -> s.container().created()).thenComparing(ContainerState::id));
        return states;
    }

    private List<Bundle> bundles() {
        List<Bundle> bundles = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(stateRoot,
                dir -> BUNDLE_NAME.matcher(dir.getFileName().toString()).matches() && Files.isDirectory(dir))) {
            for (Path dir : dirs) {
                bundles.add(Bundle.of(stateRoot, dir.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list containers in " + stateRoot + ": " + e.getMessage(), e);
        }
        return bundles;
    }

    /**
     * The container with this id or name, or whose id starts with this prefix.
     *
     * @throws IllegalArgumentException if the prefix matches more than one
     */
    public Optional<ContainerState> find(String idOrNameOrPrefix) {
        List<ContainerState> all = list();
        for (ContainerState state : all) {
            if (state.id().equals(idOrNameOrPrefix) || state.container().name().equals(idOrNameOrPrefix)) {
                return Optional.of(state);
            }
        }
        List<ContainerState> byPrefix = all.stream()
                .filter(state -> !idOrNameOrPrefix.isEmpty() && state.id().startsWith(idOrNameOrPrefix))
                .collect(Collectors.toList());
        if (byPrefix.size() > 1) {
            throw new IllegalArgumentException("container id prefix " + idOrNameOrPrefix + " is ambiguous: it matches "
                    + byPrefix.stream().map(s -> s.container().shortId()).collect(Collectors.joining(", ")));
        }
        return byPrefix.stream().findFirst();
    }

    /**
     * Runs {@code cmd} in the running container with {@code runc exec}, nothing on stdin, and returns
     * its exit code; -1 if it ran past {@code timeout} (killed then) or could not start.
     */
    public int probe(String id, List<String> cmd, Duration timeout) {
        try {
            return Commands.run(timeout, execArgv(id, cmd)).exitCode();
        } catch (CommandException | java.io.UncheckedIOException e) {
            log.debug("Health check of container {} did not finish: {}", id, e.getMessage());
            return -1;
        }
    }

    /** The argv of {@code runc exec ID cmd...}; run with inherited stdio, its output and exit code are cmd's. */
    public List<String> execArgv(String id, List<String> cmd) {
        if (cmd == null || cmd.isEmpty()) {
            throw new IllegalArgumentException("exec needs a command");
        }
        List<String> argv = new ArrayList<>(execArgv(id));
        argv.addAll(cmd);
        return List.copyOf(argv);
    }

    /** {@code runc exec ID}: the argv a client appends a command to (see {@link #execArgv(String, List)}). */
    public List<String> execArgv(String id) {
        return List.copyOf(runc.argv(List.of("exec", Container.requireValidId(id))));
    }


    RootfsProvisioner.Mode rootfsMode() {
        return rootfs.mode();
    }

    private ContainerState stateOf(Bundle bundle) {
        Container container = bundle.readMetadata()
                .map(metadata -> metadata.toContainer(bundle.dir()))
                .orElseGet(() -> unnamed(bundle));
        Optional<Runc.State> state = runc.state(bundle.id());
        if (state.isPresent()) {
            ContainerStatus status = switch (state.get().status()) {
                case "running", "paused" -> ContainerStatus.RUNNING;
                case "stopped" -> ContainerStatus.STOPPED;
                default -> ContainerStatus.CREATED;
            };
            long pid = status == ContainerStatus.RUNNING ? state.get().pid() : 0;
            return new ContainerState(container, status, pid, bundle.exitCode());
        }
        OptionalInt exitCode = bundle.exitCode();
        ContainerStatus status;
        if (exitCode.isPresent()) {
            status = ContainerStatus.STOPPED;
        } else if (!bundle.wasStarted() || Shim.find(bundle).isPresent()) {
            status = ContainerStatus.CREATED;
        } else {
            status = ContainerStatus.MISSING;
        }
        return new ContainerState(container, status, 0, exitCode);
    }

    /** A bundle whose metadata was never written (the daemon died inside create): named by its id. */
    private static Container unnamed(Bundle bundle) {
        Instant created;
        try {
            created = Files.readAttributes(bundle.dir(), BasicFileAttributes.class).lastModifiedTime().toInstant();
        } catch (IOException e) {
            created = Instant.EPOCH;
        }
        return new Container(bundle.id(), bundle.id(), "", List.of(), Map.of(), bundle.dir(), created);
    }

    private Bundle existing(String id) {
        Bundle bundle = Bundle.of(stateRoot, id);
        if (!bundle.exists()) {
            throw new NoSuchContainerException(id);
        }
        return bundle;
    }

    /** Waits until the container's process ended: its shim exited, or, without a shim, runc no longer runs it. */
    private boolean awaitEnd(Bundle bundle, Duration timeout) {
        Optional<ProcessHandle> shim = Shim.find(bundle);
        if (shim.isPresent()) {
            return Poll.until(() -> !shim.get().isAlive(), timeout, shim.get().onExit());
        }
        return Poll.until(() -> runc.state(bundle.id()).map(s -> !s.status().equals("running")).orElse(true),
                timeout, new CompletableFuture<>());
    }

    /** The shim's own errors and the container's (runc's) last stderr lines, for an error message. */
    private String logTail(Bundle bundle) {
        StringBuilder err = new StringBuilder(bundle.logTail(LOG_TAIL_BYTES));
        for (ContainerLogs.Line line : logs.read(bundle.id(), 0, 10)) {
            if (line.stderr()) {
                err.append('\n').append(new String(line.text(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        String tail = err.toString().strip();
        return tail.isEmpty() ? "" : ": " + tail;
    }

    private void discard(Bundle bundle, Exception cause) {
        try {
            TaskFileMounts.release(bundle);
            rootfs.release(bundle);
            List<String> anonymous = anonymousVolumes(bundle);
            FileTrees.deleteRecursively(bundle.dir());
            synchronized (volumeLock) {
                anonymous.forEach(name -> volumes.find(name).ifPresent(v -> volumes.delete(name)));
            }
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            log.warn("Cannot clean up the bundle of failed container {}: {}", bundle.id(), e.toString());
        }
    }
}
