package dev.flotilla.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.daemon.DaemonConfig;
import dev.flotilla.testkit.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Flotilla node as a user runs it: a network namespace {@code ft-<random>} with an eth0 on
 * 198.18.0.0/15, a temp directory, and {@code bin/flotilla daemon} started in that namespace with
 * {@code nsenter --net} (`ip netns exec` would remount /sys, which breaks runc's cgroup lookup).
 * CLI commands, curl and runc run as a user types them. {@link #close()} always removes what the
 * node made, by name: its daemon, the runc containers under its data root, its {@code fl-<tag>-*}
 * namespaces, its own namespace and its directory.
 */
public final class TestNode implements AutoCloseable {
    public static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
    /** Between attempts of a condition that runs a command (a CLI call is a JVM start, which paces it anyway). */
    public static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration DAEMON_START = Duration.ofSeconds(90);
    private static final Duration DAEMON_STOP = Duration.ofSeconds(30);
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern HELLO = Pattern.compile("<p>Hello, (\\S+)</p>");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Nodes not closed yet; a JVM killed by a timeout or Ctrl-C still cleans them up. */
    private static final Set<TestNode> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(TestNode::closeQuietly), "ft-cleanup"));
    }

    private final String label;
    private final String name;
    private final String address;
    private final Path dir;
    private final Path dataRoot;
    private final Path socket;
    private final Path log;
    private final String tag;
    private final String prefix;
    private final String underlay;
    private final String hostname;
    private final List<String> daemonArgs;
    /** A directory the daemon sees empty, in a mount namespace of its own; {@code null} for none. */
    private Path hiddenFromDaemon;
    private Process daemon;
    private Path webroot;
    private boolean closed;

    private TestNode(String label) throws IOException {
        // 198.18.0.0/15 is reserved for benchmarking: it never routes anywhere real.
        this(label, "198." + (18 + RANDOM.nextInt(2)) + "." + RANDOM.nextInt(256) + "." + (1 + RANDOM.nextInt(254)),
                null, null, List.of());
    }

    /**
     * @param underlay namespace whose bridge {@code br0} the node's eth0 is plugged into (a
     *                 cluster's underlay), or null for a lone node
     * @param hostname the hostname the daemon sees (its own UTS namespace), or null for the host's
     * @param daemonArgs flags added to every {@code flotilla daemon} this node starts
     */
    private TestNode(String label, String address, String underlay, String hostname, List<String> daemonArgs)
            throws IOException {
        this.label = label;
        byte[] suffix = new byte[4];
        RANDOM.nextBytes(suffix);
        this.name = "ft-" + HexFormat.of().formatHex(suffix);
        this.address = address;
        this.prefix = "24";
        this.underlay = underlay;
        this.hostname = hostname;
        this.daemonArgs = List.copyOf(daemonArgs);
        this.dir = Files.createTempDirectory("ft-").toAbsolutePath();
        this.dataRoot = dir.resolve("data");
        this.socket = dir.resolve("flotilla.sock");
        this.log = dir.resolve("daemon.log");
        this.tag = DaemonConfig.namespaceTag(dataRoot);
    }

    /** A node whose daemon answers `flotilla info`; not part of a swarm yet. */
    public static TestNode start(String label) {
        TestNode node;
        try {
            node = new TestNode(label);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return started(node);
    }

    /** A node of a cluster: eth0 on the underlay namespace's bridge, its own hostname. */
    static TestNode startOn(String label, String underlay, String address, String hostname, List<String> daemonArgs) {
        TestNode node;
        try {
            node = new TestNode(label, address, underlay, hostname, daemonArgs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return started(node);
    }

    private static TestNode started(TestNode node) {
        OPEN.add(node);
        try {
            node.createNamespace();
            node.startDaemon();
            return node;
        } catch (RuntimeException | Error e) {
            node.closeQuietly();
            throw e;
        }
    }

    /** A node that ran `swarm init`, holding the web image as {@code web:latest}. */
    public static TestNode startManagerWithWebImage(String label) {
        TestNode node = start(label);
        try {
            node.initSwarm();
            node.importWebImage("web");
            return node;
        } catch (RuntimeException | Error e) {
            node.closeQuietly();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** The hostname `node ls` shows for this node. */
    public String hostname() {
        return hostname == null ? "" : hostname;
    }

    public String address() {
        return address;
    }

    public Path dir() {
        return dir;
    }

    public Path dataRoot() {
        return dataRoot;
    }

    /** The namespace tag of this node's daemon: sha256 of its data root, 6 hex digits. */
    public String tag() {
        return tag;
    }

    public String host() {
        return "unix://" + socket;
    }

    // ---- the daemon -----------------------------------------------------------------------

    /**
     * From the next {@link #startDaemon}, the daemon (and its tasks) see {@code dir} empty, as if
     * this node were a host without what the others have there. {@code dir} must be below
     * {@link #dir()}, so closing the node removes whatever mount of it shows on the host.
     */
    public synchronized void hideFromDaemon(Path dir) {
        if (!dir.startsWith(this.dir)) {
            throw new IllegalArgumentException(dir + " is not below " + this.dir);
        }
        hiddenFromDaemon = dir;
    }

    public synchronized void startDaemon() {
        if (daemon != null && daemon.isAlive()) {
            throw new IllegalStateException("The daemon of " + name + " is already running");
        }
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + name));
        if (hiddenFromDaemon != null) {
            // An empty tmpfs over the directory, in a mount namespace that otherwise shares the
            // host's mounts (network namespaces and secrets' tmpfs still show on the host). The
            // bind of the directory onto itself, made private, keeps the tmpfs from propagating
            // where / is shared; that bind itself may show on the host and goes with dir.
            command.addAll(List.of("unshare", "--mount", "--propagation", "unchanged", "sh", "-c",
                    "mount --bind \"$0\" \"$0\" && mount --make-private \"$0\" && mount -t tmpfs -o size=1m tmpfs \"$0\""
                            + " && exec \"$@\"", hiddenFromDaemon.toString()));
        }
        if (hostname != null) {
            // Its own UTS namespace, so `node ls` tells the nodes apart; exec keeps one pid.
            command.addAll(List.of("unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"", hostname));
        }
        command.addAll(List.of(Processes.flotilla().toString(), "daemon", "--data-root", dataRoot.toString(), "--host", host()));
        command.addAll(daemonArgs);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("FLOTILLA_HOST");
        try {
            daemon = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the daemon", e);
        }
        Process started = daemon;
        // First its socket, looked at cheaply and often; then `info`, each look a CLI start.
        Poll.until(DAEMON_START, Duration.ofMillis(50), () -> exitedEarly(started) || socketAccepts(),
                () -> "the daemon to listen on " + socket + logTailSection());
        Poll.until(DAEMON_START, POLL_INTERVAL, () -> exitedEarly(started) || Processes.flotilla(host(), TOOL_TIMEOUT, "info").ok(),
                () -> "the daemon to answer `flotilla info`" + logTailSection());
    }

    private boolean exitedEarly(Process started) {
        if (!started.isAlive()) {
            throw new AssertionError("The daemon exited with " + started.exitValue() + " before answering" + logTailSection());
        }
        return false;
    }

    private boolean socketAccepts() {
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            return c.connect(java.net.UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    /** The daemon's process id (nsenter, unshare and sh exec it, so it is the JVM's own). */
    public synchronized long daemonPid() {
        return requireDaemon().pid();
    }

    public synchronized boolean daemonRunning() {
        return daemon != null && daemon.isAlive();
    }

    /** kill -9, as a crash: the daemon gets no chance to clean up. */
    public synchronized void killDaemon() {
        requireDaemon().destroyForcibly();
        awaitExit(DAEMON_STOP);
    }

    /** kill -TERM; returns the exit code, or fails (and SIGKILLs it) if it did not exit in 30s. */
    public synchronized int terminateDaemon() {
        Process p = requireDaemon();
        p.destroy();
        if (!awaitExit(DAEMON_STOP)) {
            p.destroyForcibly();
            awaitExit(Duration.ofSeconds(10));
            throw new AssertionError("The daemon did not exit within " + DAEMON_STOP.toSeconds()
                    + "s of SIGTERM; killed it" + logTailSection());
        }
        return p.exitValue();
    }

    private Process requireDaemon() {
        if (daemon == null || !daemon.isAlive()) {
            throw new IllegalStateException("The daemon of " + name + " is not running" + logTailSection());
        }
        return daemon;
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return daemon.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while waiting for the daemon to exit", e);
        }
    }

    public String logTail(int lines) {
        try {
            if (!Files.exists(log)) {
                return "(no daemon log)";
            }
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read the daemon log: " + e + ")";
        }
    }

    private String logTailSection() {
        return "\n--- daemon log tail (" + log + "):\n" + logTail(40);
    }

    // ---- what a user runs -----------------------------------------------------------------

    /** `flotilla -H unix://<this node's socket> args...`, whatever it exits with. */
    public Cli cli(String... args) {
        return Processes.flotilla(host(), CLI_TIMEOUT, args);
    }

    /** Like {@link #cli}, with {@code stdin} (a file) as the CLI's standard input. */
    public Cli cliWithInput(Path stdin, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(Processes.flotilla().toString(), "-H", host()));
        command.addAll(List.of(args));
        return Processes.run(CLI_TIMEOUT, command, stdin.toFile());
    }

    /** The daemon's log file. */
    public Path logFile() {
        return log;
    }

    /** Like {@link #cli}, failing with the output and the daemon log unless it exits 0. */
    public Cli ok(String... args) {
        Cli cli = cli(args);
        if (!cli.ok()) {
            throw new AssertionError("Command failed:\n" + cli + logTailSection());
        }
        return cli;
    }

    /** An AssertJ description: the command's output and the daemon log tail, built only on failure. */
    public Supplier<String> context(Cli cli) {
        return () -> "\n" + cli + logTailSection();
    }

    /** A failure message naming what was expected, with the daemon log tail. */
    public Supplier<String> context(String what) {
        return () -> what + logTailSection();
    }

    /** Runs the command until its result satisfies {@code done}; returns that result. */
    public Cli until(Duration timeout, String what, Predicate<Cli> done, String... args) {
        Cli[] last = new Cli[1];
        Poll.until(timeout, POLL_INTERVAL, () -> done.test(last[0] = cli(args)),
                () -> what + "\nlast result:\n" + last[0] + logTailSection());
        return last[0];
    }

    /** Polls a condition; the failure message carries the daemon log tail. */
    public void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        Poll.until(timeout, POLL_INTERVAL, condition, () -> what.get() + logTailSection());
    }

    /** `ip netns exec <node> curl -s -m 5 url`: from inside the node, as a user on that host. */
    public Cli curl(String url) {
        return Processes.run(TOOL_TIMEOUT, "ip", "netns", "exec", name, "curl", "-s", "-m", "5", url);
    }

    /** Asks the routing mesh on {@code port}; returns the hostname of the task that answered. */
    public String hello(int port) {
        Cli cli = curl("http://127.0.0.1:" + port + "/");
        Matcher m = HELLO.matcher(cli.stdout());
        if (!cli.ok() || !m.find()) {
            throw new AssertionError("Expected a task to answer on port " + port + ":\n" + cli + logTailSection());
        }
        return m.group(1);
    }

    /** The hostnames answering {@code count} requests in a row. */
    public List<String> hellos(int port, int count) {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            hosts.add(hello(port));
        }
        return hosts;
    }

    public String initSwarm() {
        return ok("swarm", "init", "--advertise-addr", address).stdout();
    }

    /** The busybox web rootfs of scripts/make-web-image.sh, built once per node. */
    public synchronized Path webroot() {
        if (webroot == null) {
            Path dirPath = dir.resolve("webroot");
            Processes.ok(TOOL_TIMEOUT, Processes.root().resolve("scripts/make-web-image.sh").toString(), dirPath.toString());
            webroot = dirPath;
        }
        return webroot;
    }

    /** The --change instruction that makes the web rootfs answer "Hello, hostname" on port 80. */
    public static String webCmdChange() {
        return "CMD " + Processes.ok(TOOL_TIMEOUT, Processes.root().resolve("scripts/make-web-image.sh").toString(),
                "--cmd").stdout().strip();
    }

    /** `flotilla image import ref webroot --change CMD...`; returns the printed image id. */
    public String importWebImage(String ref) {
        return ok("image", "import", ref, webroot().toString(), "--change", webCmdChange()).stdout().strip();
    }

    // ---- what the daemon left on the host -----------------------------------------------

    /** This daemon's namespaces: {@code fl-<tag>-*}. */
    public Set<String> namespaces() {
        Set<String> names = new TreeSet<>();
        for (String line : Processes.ok(TOOL_TIMEOUT, "ip", "netns", "list").lines()) {
            String ns = line.split("\\s+")[0];
            if (ns.startsWith("fl-" + tag + "-")) {
                names.add(ns);
            }
        }
        return names;
    }

    /** Ids of the runc containers whose bundle is under this node's data root. */
    public Set<String> containers() {
        Set<String> ids = new TreeSet<>();
        // runc lists its state directory, then reads each entry: a container deleted in between
        // fails the whole listing ("stat /run/runc/ID: no such file or directory"). Ask again.
        Cli list = Processes.run(TOOL_TIMEOUT, "runc", "list", "-f", "json");
        for (int attempt = 1; attempt < 5 && !list.ok() && list.stderr().contains("no such file or directory"); attempt++) {
            list = Processes.run(TOOL_TIMEOUT, "runc", "list", "-f", "json");
        }
        if (!list.ok()) {
            throw new AssertionError("`runc list -f json` failed:\n" + list);
        }
        String json = list.stdout();
        try {
            for (JsonNode c : JSON.readTree(json.isBlank() ? "null" : json)) {
                if (c.path("bundle").asText().startsWith(dataRoot + "/")) {
                    ids.add(c.path("id").asText());
                }
            }
        } catch (IOException e) {
            throw new AssertionError("`runc list -f json` printed no JSON: " + json, e);
        }
        return ids;
    }

    /**
     * When this node's daemon logged that the task in container {@code idPrefix} runs (the moment
     * it reports RUNNING), from its log's timestamps.
     */
    public Instant runningSince(String idPrefix) {
        String shortId = idPrefix.substring(0, Math.min(12, idPrefix.length()));
        return loggedAt(" running as container " + shortId, "container " + shortId + " running");
    }

    /** When this node's daemon logged that task {@code taskId} runs (the moment it reports RUNNING). */
    public Instant taskRunningSince(String taskId) {
        return loggedAt("Task " + taskId + " running as container ", "task " + taskId + " running");
    }

    private Instant loggedAt(String needle, String what) {
        try {
            for (String line : Files.readAllLines(log)) {
                if (line.contains(needle)) {
                    return Instant.parse(line.substring(0, line.indexOf(' ')));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("the log of " + name + " says nothing of " + what + logTailSection());
    }

    // ---- set-up and clean-up ----------------------------------------------------------------

    private void createNamespace() {
        ip("netns", "add", name);
        ip("-n", name, "link", "set", "lo", "up");
        // A veth, not a dummy: this kernel has no dummy interfaces. eth0p only has to be up.
        ip("-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
        ip("-n", name, "addr", "add", address + "/" + prefix, "dev", "eth0");
        ip("-n", name, "link", "set", "eth0", "up");
        if (underlay != null) {
            String port = "u" + name.substring(3);
            ip("-n", name, "link", "set", "eth0p", "name", port);
            ip("-n", name, "link", "set", port, "netns", underlay);
            ip("-n", underlay, "link", "set", port, "master", "br0");
            ip("-n", underlay, "link", "set", port, "up");
        } else {
            ip("-n", name, "link", "set", "eth0p", "up");
        }
    }

    private static void ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Processes.ok(TOOL_TIMEOUT, command.toArray(String[]::new));
    }

    /**
     * Stops the daemon (SIGTERM, 30s, then SIGKILL) and removes, by name, everything this node made.
     * Fails only if something is still there afterwards.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!awaitExit(DAEMON_STOP)) {
                System.err.println("[" + name + "] daemon ignored SIGTERM for " + DAEMON_STOP.toSeconds() + "s; SIGKILL");
                daemon.destroyForcibly();
                awaitExit(Duration.ofSeconds(10));
            }
        }
        keepLog();
        for (String id : containers()) {
            Processes.run(TOOL_TIMEOUT, "runc", "delete", "--force", id);
        }
        for (String ns : namespaces()) {
            Processes.run(TOOL_TIMEOUT, "ip", "netns", "delete", ns);
        }
        if (Files.exists(Path.of("/run/netns", name))) {
            Processes.run(TOOL_TIMEOUT, "ip", "netns", "delete", name);
        }
        for (String mount : mountsUnder(dir)) {
            Processes.run(TOOL_TIMEOUT, "umount", "-l", mount);
        }
        Processes.run(TOOL_TIMEOUT, "rm", "-rf", "--one-file-system", dir.toString());

        List<String> left = new ArrayList<>();
        containers().forEach(id -> left.add("runc container " + id));
        namespaces().forEach(ns -> left.add("namespace " + ns));
        if (Files.exists(Path.of("/run/netns", name))) {
            left.add("namespace " + name);
        }
        if (Files.exists(dir)) {
            left.add("directory " + dir);
        }
        if (!left.isEmpty()) {
            throw new IllegalStateException("Could not clean up node " + name + ": " + left);
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException | Error e) {
            System.err.println("[" + name + "] clean-up failed: " + e);
        }
    }

    /** Copies the daemon log to target/daemon-logs, to read after a failed run. */
    private void keepLog() {
        try {
            if (Files.exists(log)) {
                Path kept = Path.of("target", "daemon-logs", label + "-" + name + ".log");
                Files.createDirectories(kept.getParent());
                Files.copy(log, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("[" + name + "] cannot keep the daemon log: " + e);
        }
    }

    /** Mount points below {@code dir}, deepest first. */
    public static List<String> mountsUnder(Path dir) {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")[4].replace("\\040", " "))
                    .filter(m -> m.startsWith(dir + "/"))
                    .sorted(Comparator.comparing(String::length).reversed())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return name + " (" + address + ", data root " + dataRoot + ")";
    }
}
