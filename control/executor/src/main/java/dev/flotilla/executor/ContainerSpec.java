package dev.flotilla.executor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What to run: one task's container.
 *
 * @param id 64 lowercase hex characters; the runc container id and the bundle's directory name
 * @param name for people, e.g. {@code web.1.<task-id>}
 * @param image the image reference, {@code NAME[:TAG]}
 * @param args the command; empty to use the image's
 * @param env {@code KEY=VALUE} entries merged over the image's env
 * @param hostname the container's hostname; {@code null} for the short id (first 12 hex), as Docker does
 * @param netnsPath the network namespace to join, e.g. {@code /run/netns/fl-task-<id12>}; {@code null} for a
 *     new, empty one
 * @param labels task, service and node ids; kept in the bundle so a restarted daemon knows its containers
 * @param resolvConf the file to bind-mount at {@code /etc/resolv.conf}; {@code null} for a copy of the host's
 * @param embeddedDns when {@code resolvConf} is {@code null}: the container's resolv.conf names the embedded
 *     DNS server ({@code nameserver 127.0.0.11}, {@code options ndots:0}) instead of copying the host's
 * @param limits CPUs, memory and processes the container's cgroup allows; {@code null} for none
 * @param secrets files made from the task's secrets, on an in-memory file system; none if {@code null}
 * @param configs files made from the task's configs; none if {@code null}
 * @param mounts volumes, paths of the node and tmpfs mounts; none if {@code null}
 */
public record ContainerSpec(String id, String name, String image, List<String> args, List<String> env,
        String hostname, Path netnsPath, Map<String, String> labels, Path resolvConf, boolean embeddedDns,
        ResourceLimits limits, List<TaskFile> secrets, List<TaskFile> configs, List<MountSpec> mounts) {

    /** A spec with no mounts. */
    public ContainerSpec(String id, String name, String image, List<String> args, List<String> env,
            String hostname, Path netnsPath, Map<String, String> labels, Path resolvConf, boolean embeddedDns,
            ResourceLimits limits, List<TaskFile> secrets, List<TaskFile> configs) {
        this(id, name, image, args, env, hostname, netnsPath, labels, resolvConf, embeddedDns, limits, secrets, configs,
                List.of());
    }

    /** A spec with no secrets, configs or mounts. */
    public ContainerSpec(String id, String name, String image, List<String> args, List<String> env,
            String hostname, Path netnsPath, Map<String, String> labels, Path resolvConf, boolean embeddedDns,
            ResourceLimits limits) {
        this(id, name, image, args, env, hostname, netnsPath, labels, resolvConf, embeddedDns, limits, List.of(), List.of());
    }

    /** A spec with no resource limits, whose resolv.conf is {@code resolvConf}, or a copy of the host's. */
    public ContainerSpec(String id, String name, String image, List<String> args, List<String> env,
            String hostname, Path netnsPath, Map<String, String> labels, Path resolvConf) {
        this(id, name, image, args, env, hostname, netnsPath, labels, resolvConf, false, ResourceLimits.NONE);
    }

    public ContainerSpec {
        Container.requireValidId(id);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("container " + id + " needs a name");
        }
        ImageReference.parse(Objects.requireNonNull(image, "image"));
        args = args == null ? List.of() : List.copyOf(args);
        env = env == null ? List.of() : List.copyOf(env);
        for (String entry : env) {
            if (entry.indexOf('=') < 1) {
                throw new IllegalArgumentException("invalid environment entry \"" + entry + "\": expected KEY=VALUE");
            }
        }
        hostname = hostname == null ? Container.shortId(id) : hostname;
        if (hostname.isEmpty() || hostname.length() > 64 || hostname.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid hostname \"" + hostname + "\": expected 1 to 64 characters");
        }
        labels = labels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(labels));
        limits = limits == null ? ResourceLimits.NONE : limits;
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
        configs = configs == null ? List.of() : List.copyOf(configs);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        java.util.Set<String> mountPoints = new java.util.HashSet<>();
        for (MountSpec m : mounts) {
            if (!mountPoints.add(m.normalizedTarget())) {
                throw new IllegalArgumentException("invalid duplicate mount point: " + m.target());
            }
        }
        java.util.Set<String> destinations = new java.util.HashSet<>();
        for (TaskFile f : secrets) {
            if (!destinations.add(f.destination())) {
                throw new IllegalArgumentException("two secrets of container " + name + " land at " + f.destination());
            }
        }
        for (TaskFile f : configs) {
            if (!f.target().startsWith("/")) {
                throw new IllegalArgumentException("config file of container " + name + " needs an absolute path, not "
                        + f.target());
            }
            if (!destinations.add(f.destination())) {
                throw new IllegalArgumentException("two files of container " + name + " land at " + f.destination());
            }
        }
    }
}
