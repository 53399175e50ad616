package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Root;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Real containers: needs root, runc and a static busybox; skipped elsewhere. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuncRuntimeTest {

    private static final Logger log = LoggerFactory.getLogger(RuncRuntimeTest.class);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    private ImageStore images;
    private RuncRuntime runtime;
    private Path stateRoot;
    private final List<String> containers = new ArrayList<>();
    private final NamespaceLab lab = new NamespaceLab("ft-rt");

    @BeforeAll
    static void requireRootRuncAndBusybox() {
        Root.assume("runc");
        assumeTrue(Files.isExecutable(TestRootfs.BUSYBOX), "runc tests need a static busybox at /bin/busybox");
    }

    @BeforeEach
    void setUp() throws IOException {
        images = new ImageStore(tmp.resolve("images"));
        images.importImage("busybox", TestRootfs.busybox(tmp.resolve("busybox")), null);
        stateRoot = tmp.resolve("containers");
        runtime = new RuncRuntime(stateRoot, images, "runc");
        log.info("Container rootfs mode here: {}", runtime.rootfsMode());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (String id : containers) {
            try {
                runtime.remove(id);
            } catch (RuntimeException e) {
                log.warn("Cleanup of container {} failed; forcing it with runc", id, e);
                Commands.run(Duration.ofSeconds(10), List.of("runc", "delete", "--force", id));
            }
        }
        lab.close();
        assertThat(Mounts.under(tmp)).as("mounts left behind").isEmpty();
    }

    @Test
    void runsACommandToItsExitCodeAndLogsItsOutput() throws Exception {
        Container container = run("sh", "-c", "echo hi; echo oops >&2; echo there; exit 3");

        assertThat(runtime.exitFuture(container).get(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(3);
        List<String> lines = runtime.logs().read(container.id(), 0, -1).stream()
                .map(l -> (l.stderr() ? "err " : "out ") + new String(l.text(), java.nio.charset.StandardCharsets.UTF_8)).toList();
        // Each stream has its own pipe and stamps: in order within a stream, not across them (as Docker's).
        assertThat(lines).containsExactlyInAnyOrder("out hi", "err oops", "out there");
        assertThat(lines.stream().filter(l -> l.startsWith("out")).toList()).containsExactly("out hi", "out there");
        assertThat(runtime.logs().read(container.id(), 0, 1)).as("--tail 1").hasSize(1);
        ContainerState state = runtime.find(container.id()).orElseThrow();
        assertThat(state.status()).isEqualTo(ContainerStatus.STOPPED);
        assertThat(state.exitCode()).hasValue(3);
        runtime.remove(container.id());
        assertThat(runtime.logs().exists(container.id())).as("logs outlive the container").isTrue();
    }

    @Test
    void aSigkilledContainerExitsWith137() throws Exception {
        Container container = run("sleep", "1000");
        ContainerState running = runtime.find(container.name()).orElseThrow();
        assertThat(running.status()).isEqualTo(ContainerStatus.RUNNING);
        assertThat(running.pid()).isPositive();

        runtime.kill(container.id(), "KILL");

        assertThat(runtime.exitFuture(container).get(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(137);
        assertThatThrownBy(() -> runtime.kill(container.id(), "KILL"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not running");
    }

    @Test
    void stopEscalatesToSigkillWhenPid1IgnoresSigterm() throws Exception {
        // PID 1 without a SIGTERM handler does not die of SIGTERM: stop() must fall back to SIGKILL.
        Container container = run("sleep", "1000");

        runtime.stop(container.id(), Duration.ofMillis(500));

        assertThat(runtime.exitFuture(container).getNow(null)).isEqualTo(137);
    }

    @Test
    void stopReturnsAsSoonAsTheContainerHonoursSigterm() throws Exception {
        Container container = run("sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done");

        runtime.stop(container.id(), Duration.ofSeconds(30));

        assertThat(runtime.exitFuture(container).getNow(null)).isZero();
    }

    @Test
    void hostnameInsideIsTheShortIdAndExecPassesTheExitCodeThrough() throws Exception {
        Container container = run("sleep", "1000");

        assertThat(exec(container.id(), "hostname")).isEqualTo(container.shortId() + "\n");
        assertThat(exec(container.id(), "cat", "/etc/hostname")).isEqualTo(container.shortId() + "\n");
        assertThat(exec(container.id(), "cat", "/etc/hosts")).contains("127.0.0.1\tlocalhost");
        assertThat(exec(container.id(), "sh", "-c", "ulimit -n")).isEqualTo(daemonOpenFilesHardLimit() + "\n");
        Process failing = new ProcessBuilder(runtime.execArgv(container.id(), List.of("sh", "-c", "exit 5"))).start();
        assertThat(failing.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(failing.exitValue()).isEqualTo(5);
    }

    @Test
    void theImageConfigSuppliesTheCommandAndTheTaskEnvOverridesTheImageEnv() throws Exception {
        images.importImage("busybox:cmd", tmp.resolve("busybox"),
                new ImageConfig(List.of("sh", "-c", "echo \"$A $B $PATH\"; exit 7"), List.of("A=image", "B=image"), "/tmp"));
        Container container = runtime.create(spec("busybox:cmd", List.of(), List.of("B=task"), null));
        containers.add(container.id());
        runtime.start(container);

        assertThat(runtime.exitFuture(container).get(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(runtime.logs().read(container.id(), 0, -1))
                .extracting(l -> new String(l.text(), java.nio.charset.StandardCharsets.UTF_8))
                .containsExactly("image task " + ProcessConfig.DEFAULT_PATH);
    }

    @Test
    void aMissingImageIsRejectedWithDockersMessageAndLeavesNothing() {
        ContainerSpec spec = spec("nosuch", List.of("sh"), List.of(), null);

        assertThatThrownBy(() -> runtime.create(spec))
                .isInstanceOf(NoSuchImageException.class)
                .hasMessage("No such image: nosuch:latest");
        assertThat(runtime.list()).isEmpty();
    }

    @Test
    void aCommandThatCannotStartFailsStartWithRuncsError() {
        Container container = create(List.of("/bin/nosuchcommand"), null);

        assertThatThrownBy(() -> runtime.start(container))
                .isInstanceOf(ContainerRuntimeException.class)
                .hasMessageContaining("cannot start container " + container.name())
                .hasMessageContaining("nosuchcommand");
    }

    @Test
    void aRestartedDaemonFindsItsContainersAndTheirExitCodes() throws Exception {
        Container container = run("sleep", "1000");

        RuncRuntime restarted = new RuncRuntime(stateRoot, new ImageStore(tmp.resolve("images")), "runc");
        ContainerState adopted = restarted.list().stream()
                .filter(state -> state.id().equals(container.id())).findFirst().orElseThrow();

        assertThat(adopted.status()).isEqualTo(ContainerStatus.RUNNING);
        assertThat(adopted.container()).isEqualTo(container);
        assertThat(adopted.container().labels()).containsEntry("task", "t-" + container.shortId());
        assertThat(restarted.find(container.id().substring(0, 8))).map(ContainerState::id).contains(container.id());
        var exit = restarted.exitFuture(adopted.container());
        assertThat(exit).isNotDone();
        restarted.kill(container.id(), "SIGKILL");
        assertThat(exit.get(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(137);
    }

    @Test
    void writesStayInTheContainerAndSurviveTheImageBeingRemoved() throws Exception {
        Container container = run("sleep", "1000");
        Path imageRootfs = images.find("busybox").orElseThrow().rootfs();

        exec(container.id(), "sh", "-c", "echo x > /bin/written");
        assertThat(imageRootfs.resolve("bin/written")).doesNotExist();

        assertThat(images.remove("busybox")).isTrue();
        assertThat(exec(container.id(), "cat", "/bin/written")).isEqualTo("x\n");
        assertThat(exec(container.id(), "ls", "/bin/busybox")).isEqualTo("/bin/busybox\n");
    }

    @Test
    void removeKillsUnmountsAndDeletesAndMayBeRepeated() throws Exception {
        Container container = run("sleep", "1000");

        runtime.remove(container.id());
        runtime.remove(container.id());

        assertThat(container.bundle()).doesNotExist();
        assertThat(Mounts.under(stateRoot)).isEmpty();
        assertThat(runtime.list()).isEmpty();
        assertThat(Commands.run(Duration.ofSeconds(10), List.of("runc", "state", container.id())).succeeded()).isFalse();
    }

    @Test
    void aContainerRemovedWhileRuncWasStillMakingItLeavesNoProcessBehind() throws Exception {
        // A runc whose `run` takes 3 s before it makes the container, as a loaded host's may.
        Path slowRunc = tmp.resolve("slow-runc");
        Files.writeString(slowRunc, "#!/bin/sh\ncase \" $* \" in *\" run \"*) sleep 3 ;; esac\nexec runc \"$@\"\n");
        Files.setPosixFilePermissions(slowRunc, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        RuncRuntime slow = new RuncRuntime(tmp.resolve("slow"), images, slowRunc.toString());
        String marker = Long.toString(100_000 + new java.util.Random().nextInt(900_000));
        ContainerSpec spec = spec("busybox", List.of("sleep", marker), List.of(), null);
        containers.add(spec.id());
        Container container = slow.create(spec);
        Thread starting = new Thread(() -> {
            try {
                slow.start(container);
            } catch (RuntimeException e) {
                log.info("start of the removed container: {}", e.getMessage());
            }
        });
        starting.start();
        dev.flotilla.testkit.Poll.until(Duration.ofSeconds(10), () -> Shim.find(Bundle.of(tmp.resolve("slow"), spec.id())).isPresent(),
                "the shim to start");

        slow.remove(container.id());
        starting.join(TimeUnit.SECONDS.toMillis(20));

        assertThat(Commands.run(Duration.ofSeconds(10), List.of("runc", "state", container.id())).succeeded())
                .as("runc still knows the container").isFalse();
        assertThat(processesMentioning(container.id())).as("shim, runc or multilog left").isEmpty();
        assertThat(processesMentioning("sleep\0" + marker)).as("the container's process left").isEmpty();
        assertThat(container.bundle()).doesNotExist();
    }

    /** Command lines (NUL-separated arguments) of the processes whose command line contains {@code text}. */
    private static List<String> processesMentioning(String text) throws IOException {
        List<String> found = new ArrayList<>();
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path dir : dirs) {
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException gone) {
                    continue;
                }
                if (cmdline.contains(text)) {
                    found.add(dir.getFileName() + ": " + cmdline.replace('\0', ' '));
                }
            }
        }
        return found;
    }

    @Test
    void runsInTheGivenNetworkNamespace() throws Exception {
        String netns = lab.namespace("task");
        Commands.run(Duration.ofSeconds(10),
                List.of("ip", "-n", netns, "link", "add", "ftveth0", "type", "veth", "peer", "name", "ftveth1")).orThrow();
        Container container = create(List.of("sleep", "1000"), Path.of("/run/netns", netns));
        runtime.start(container);

        assertThat(exec(container.id(), "cat", "/proc/net/dev")).contains("ftveth0", "ftveth1");
        long pid = runtime.find(container.id()).orElseThrow().pid();
        assertThat(Files.isSameFile(Path.of("/proc", Long.toString(pid), "ns", "net"), Path.of("/run/netns", netns)))
                .isTrue();
    }

    @Test
    void aNamedVolumeKeepsItsDataForTheNextContainerAndIsNotRemovedWhileMounted() throws Exception {
        MountSpec data = MountSpec.volume("webdata", "/data");
        Container first = runWithMounts(List.of(data), "sh", "-c", "echo kept > /data/file; sleep 1000");
        assertThat(Poll.until(() -> Files.exists(runtime.volumes().find("webdata").orElseThrow().mountpoint()
                .resolve("file")), EXIT_WAIT, new java.util.concurrent.CompletableFuture<>())).isTrue();

        assertThatThrownBy(() -> runtime.removeVolume("webdata", false))
                .isInstanceOf(VolumeInUseException.class)
                .hasMessage("remove webdata: volume is in use - [" + first.id() + "]");
        runtime.remove(first.id());
        Container second = runWithMounts(List.of(data), "sleep", "1000");
        assertThat(exec(second.id(), "cat", "/data/file")).isEqualTo("kept\n");
        runtime.remove(second.id());

        runtime.removeVolume("webdata", false);
        assertThat(runtime.volumes().find("webdata")).isEmpty();
        assertThatThrownBy(() -> runtime.removeVolume("webdata", false))
                .isInstanceOf(NoSuchVolumeException.class).hasMessage("get webdata: no such volume");
        runtime.removeVolume("webdata", true);
    }

    @Test
    void aNewVolumeIsFilledFromTheImageUnlessNoCopyAndAnAnonymousOneGoesWithItsContainer() throws Exception {
        Container filled = createWithMounts(List.of(MountSpec.volume("binfill", "/bin"), MountSpec.volume("", "/scratch")),
                "true");
        createWithMounts(List.of(new MountSpec(MountSpec.Type.VOLUME, "bare", "/bin", false, true, Map.of("tier", "web"),
                null, 0, 0, null)), "true");

        assertThat(runtime.volumes().find("binfill").orElseThrow().mountpoint().resolve("busybox"))
                .as("copied from the image's /bin").exists();
        assertThat(runtime.volumes().find("bare").orElseThrow().mountpoint()).as("volume-nocopy").isEmptyDirectory();
        assertThat(runtime.volumes().find("bare").orElseThrow().labels()).containsEntry("tier", "web");
        List<VolumeStore.Volume> anonymousOnes = runtime.volumes().list().stream()
                .filter(VolumeStore.Volume::anonymous).toList();
        assertThat(anonymousOnes).hasSize(1);
        assertThat(runtime.volumeUsers(anonymousOnes.get(0).name())).containsExactly(filled.id());

        runtime.remove(filled.id());

        assertThat(runtime.volumes().list()).extracting(VolumeStore.Volume::name)
                .containsExactlyInAnyOrder("bare", "binfill");
    }

    @Test
    void aMissingBindSourceIsRefusedWithDockersMessageAndLeavesNothing() throws IOException {
        Path source = tmp.resolve("no-such-dir");
        ContainerSpec spec = withMounts(spec("busybox", List.of("true"), List.of(), null),
                List.of(MountSpec.bind(source.toString(), "/srv", false)));

        assertThatThrownBy(() -> runtime.create(spec))
                .isInstanceOf(InvalidMountException.class)
                .hasMessage("invalid mount config for type \"bind\": bind source path does not exist: " + source)
                .extracting(e -> ((InvalidMountException) e).missingBindSource()).isEqualTo(source.toString());
        assertThat(runtime.list()).isEmpty();
    }

    @Test
    void bindReadOnlyAndTmpfsMountsAreWhatTheContainerSees() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.writeString(shared.resolve("hello"), "from the node\n");
        Container c = runWithMounts(List.of(MountSpec.bind(shared.toString(), "/srv", true),
                MountSpec.tmpfs("/cache", 8L << 20, 0700)), "sleep", "1000");

        assertThat(exec(c.id(), "cat", "/srv/hello")).isEqualTo("from the node\n");
        Process write = new ProcessBuilder(runtime.execArgv(c.id(), List.of("touch", "/srv/x"))).start();
        assertThat(write.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(write.exitValue()).as("a read-only bind refuses writes").isNotZero();
        String mounts = exec(c.id(), "cat", "/proc/mounts");
        assertThat(mounts).containsPattern("tmpfs /cache tmpfs rw,nosuid,nodev,noexec,[^ ]*size=8192k,mode=700");
        assertThat(mounts).containsPattern(" /srv [^ ]+ ro,");
    }

    private Container runWithMounts(List<MountSpec> mounts, String... args) {
        Container container = createWithMounts(mounts, args);
        runtime.start(container);
        return container;
    }

    private Container createWithMounts(List<MountSpec> mounts, String... args) {
        ContainerSpec spec = withMounts(spec("busybox", List.of(args), List.of(), null), mounts);
        containers.add(spec.id());
        return runtime.create(spec);
    }

    private static ContainerSpec withMounts(ContainerSpec s, List<MountSpec> mounts) {
        return new ContainerSpec(s.id(), s.name(), s.image(), s.args(), s.env(), s.hostname(), s.netnsPath(), s.labels(),
                s.resolvConf(), s.embeddedDns(), s.limits(), s.secrets(), s.configs(), mounts);
    }

    private Container run(String... args) {
        Container container = create(List.of(args), null);
        runtime.start(container);
        return container;
    }

    private Container create(List<String> args, Path netnsPath) {
        ContainerSpec spec = spec("busybox", args, List.of(), netnsPath);
        containers.add(spec.id());
        return runtime.create(spec);
    }

    private static ContainerSpec spec(String image, List<String> args, List<String> env, Path netnsPath) {
        String id = TestRootfs.randomContainerId();
        return new ContainerSpec(id, "test.1." + id.substring(0, 8), image, args, env, null, netnsPath,
                Map.of("task", "t-" + id.substring(0, 12), "service", "s1"), null);
    }

    private String exec(String id, String... cmd) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(runtime.execArgv(id, List.of(cmd))).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("exit code of %s, output %s", List.of(cmd), output).isZero();
        return output;
    }

    /** The hard NOFILE of this JVM, which tasks get too (up to Docker's 1048576). */
    private static String daemonOpenFilesHardLimit() throws IOException {
        String line = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        long hard = Long.parseLong(line.replaceAll(" +", " ").split(" ")[4]);
        return Long.toString(Math.min(hard, 1_048_576));
    }
}
