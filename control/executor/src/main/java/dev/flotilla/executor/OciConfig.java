package dev.flotilla.executor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The OCI runtime spec ({@code config.json}) of a task: runc's defaults ({@code runc spec}) with Docker's
 * choices where they differ: Docker's default capability set, a writable root, the generated
 * {@code /etc/hosts}, {@code /etc/hostname} and {@code /etc/resolv.conf}, a high NOFILE limit.
 */
final class OciConfig {

    static final String OCI_VERSION = "1.0.2";

    /** Docker's default capabilities (moby's {@code caps.DefaultCapabilities()}). */
    static final List<String> CAPABILITIES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
            "CAP_KILL", "CAP_AUDIT_WRITE");

    private static final Path PROC_LIMITS = Path.of("/proc/self/limits");
    /** POSIX's minimum; used only where /proc/self/limits cannot be read. */
    private static final long FALLBACK_NOFILE = 1024;

    /**
     * Soft and hard NOFILE of the task: the daemon's own hard limit, as Docker's containers inherit
     * containerd's, capped at containerd's 1048576. Asking runc for more than the daemon has fails every
     * start where the daemon may not raise its limit (no CAP_SYS_RESOURCE).
     */
    static final long NOFILE_LIMIT = Math.min(1_048_576, daemonNofileHardLimit());


    static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi");

    static final List<String> READONLY_PATHS = List.of(
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    private OciConfig() {
    }

    /**
     * @param resolvConf the file to bind-mount at {@code /etc/resolv.conf}
     */
    static Map<String, Object> build(ContainerSpec spec, ProcessConfig process, Bundle bundle, Path resolvConf) {
        return build(spec, process, bundle, resolvConf, List.of());
    }

    /**
     * @param userMounts the task's volumes, binds and tmpfs mounts (see {@link VolumeMounts#oci})
     */
    static Map<String, Object> build(ContainerSpec spec, ProcessConfig process, Bundle bundle, Path resolvConf,
            List<Map<String, Object>> userMounts) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("ociVersion", OCI_VERSION);
        config.put("process", process(process));
        config.put("root", Map.of("path", bundle.rootfs().toString(), "readonly", false));
        config.put("hostname", spec.hostname());
        List<Map<String, Object>> mounts = mounts(bundle, resolvConf);
        List<String> readOnly = List.of("rbind", "rprivate", "ro", "nosuid", "nodev", "noexec");
        for (int i = 0; i < spec.secrets().size(); i++) {
            mounts.add(mount(spec.secrets().get(i).destination(), "bind", TaskFileMounts.source(bundle, i).toString(), readOnly));
        }
        for (int i = 0; i < spec.configs().size(); i++) {
            mounts.add(mount(spec.configs().get(i).destination(), "bind", TaskFileMounts.configSource(bundle, i).toString(),
                    readOnly));
        }
        mounts.addAll(userMounts);
        // Parents before what is mounted in them, as Docker sorts them: a volume at /etc gets the
        // generated /etc/hosts on top, a tmpfs at /run the secrets in /run/secrets.
        mounts.sort(java.util.Comparator.comparingInt(m -> depth((String) m.get("destination"))));
        config.put("mounts", mounts);
        config.put("linux", linux(spec));
        return config;
    }

    private static int depth(String destination) {
        return (int) dev.flotilla.common.MountRules.clean(destination).chars().filter(c -> c == '/').count();
    }

    private static Map<String, Object> process(ProcessConfig process) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("terminal", false);
        p.put("user", Map.of("uid", 0, "gid", 0));
        p.put("args", process.args());
        p.put("env", process.env());
        p.put("cwd", process.cwd());
        p.put("capabilities", Map.of(
                "bounding", CAPABILITIES,
                "effective", CAPABILITIES,
                "permitted", CAPABILITIES));
        p.put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "hard", NOFILE_LIMIT, "soft", NOFILE_LIMIT)));
        return p;
    }

    private static List<Map<String, Object>> mounts(Bundle bundle, Path resolvConf) {
        List<Map<String, Object>> mounts = new ArrayList<>();
        mounts.add(mount("/proc", "proc", "proc", List.of()));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        mounts.add(mount("/dev/pts", "devpts", "devpts",
                List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
        mounts.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
        mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
        mounts.add(bind("/etc/resolv.conf", resolvConf));
        mounts.add(bind("/etc/hostname", bundle.hostname()));
        mounts.add(bind("/etc/hosts", bundle.hosts()));
        return mounts;
    }

    private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        if (!options.isEmpty()) {
            m.put("options", options);
        }
        return m;
    }

    private static Map<String, Object> bind(String destination, Path source) {
        return mount(destination, "bind", source.toString(), List.of("rbind", "rprivate"));
    }

    /** The hard "Max open files" of this process, from {@code /proc/self/limits}. */
    static long daemonNofileHardLimit() {
        try {
            for (String line : Files.readAllLines(PROC_LIMITS)) {
                if (line.startsWith("Max open files")) {
                    String[] words = line.substring("Max open files".length()).trim().split("\\s+");
                    return words[1].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(words[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(OciConfig.class).warn("Cannot read the NOFILE limit from {}; tasks get {}: {}",
                    PROC_LIMITS, FALLBACK_NOFILE, e.toString());
        }
        return FALLBACK_NOFILE;
    }

    /** The cgroup's settings: devices, and the limits as Docker's engine turns them into cgroup values. */
    static Map<String, Object> resources(ResourceLimits limits) {
        Map<String, Object> resources = new LinkedHashMap<>();
        // runc adds the usual allowed devices (null, zero, full, random, urandom, tty, ptmx) to this deny-all.
        resources.put("devices", List.of(Map.of("allow", false, "access", "rwm")));
        if (limits.memoryBytes() > 0) {
            // Docker's default --memory-swap: as much swap again as memory.
            resources.put("memory", Map.of("limit", limits.memoryBytes(), "swap", 2 * limits.memoryBytes()));
        }
        if (limits.nanoCpus() > 0) {
            resources.put("cpu", Map.of("quota", limits.cpuQuotaUs(), "period", ResourceLimits.CPU_PERIOD_US));
        }
        if (limits.pids() > 0) {
            resources.put("pids", Map.of("limit", limits.pids()));
        }
        return resources;
    }

    private static Map<String, Object> linux(ContainerSpec spec) {
        Map<String, Object> network = new LinkedHashMap<>();
        network.put("type", "network");
        if (spec.netnsPath() != null) {
            network.put("path", spec.netnsPath().toString());
        }
        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("resources", resources(spec.limits()));
        linux.put("cgroupsPath", "/flotilla/" + spec.id());
        linux.put("namespaces", List.of(
                Map.of("type", "pid"), Map.of("type", "ipc"), Map.of("type", "uts"), Map.of("type", "mount"),
                network));
        linux.put("maskedPaths", MASKED_PATHS);
        linux.put("readonlyPaths", READONLY_PATHS);
        return linux;
    }
}
