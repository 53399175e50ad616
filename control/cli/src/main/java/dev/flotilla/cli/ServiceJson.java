package dev.flotilla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.api.v1.VirtualIp;
import java.time.Instant;
import java.util.List;

/** `service inspect` in the shape Docker's users script against (ID, Spec, Endpoint.VirtualIPs, ...). */
final class ServiceJson {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private ServiceJson() {
    }

    static ObjectNode of(Service s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("ID", s.getId());
        o.putObject("Version").put("Index", s.getMeta().getVersion());
        o.put("CreatedAt", Instant.ofEpochMilli(s.getMeta().getCreatedAtMs()).toString());
        o.put("UpdatedAt", Instant.ofEpochMilli(s.getMeta().getUpdatedAtMs()).toString());
        o.set("Spec", spec(s.getSpec(), s));
        if (s.hasPreviousSpec()) {
            o.set("PreviousSpec", spec(s.getPreviousSpec(), s));
        }
        if (s.hasUpdateStatus()) {
            UpdateStatus u = s.getUpdateStatus();
            ObjectNode status = o.putObject("UpdateStatus").put("State", DockerWords.of(u.getState()).replace('-', '_'));
            status.put("StartedAt", Instant.ofEpochMilli(u.getStartedAtMs()).toString());
            if (u.getCompletedAtMs() != 0) {
                status.put("CompletedAt", Instant.ofEpochMilli(u.getCompletedAtMs()).toString());
            }
            status.put("Message", u.getMessage());
        }
        if (s.hasJobStatus()) {
            o.putObject("JobStatus").put("LastExecution", Instant.ofEpochMilli(s.getJobStatus().getLastExecutionMs()).toString())
                    .putObject("JobIteration").put("Index", s.getJobStatus().getIteration());
        }
        ObjectNode endpoint = o.putObject("Endpoint");
        endpoint.set("Spec", endpointSpec(s.getSpec()));
        endpoint.set("Ports", ports(s.getEndpointPortsList()));
        ArrayNode vips = endpoint.putArray("VirtualIPs");
        for (VirtualIp vip : s.getVirtualIpsList()) {
            vips.addObject().put("NetworkID", vip.getNetworkId()).put("Addr", vip.getAddr());
        }
        return o;
    }

    private static ObjectNode spec(ServiceSpec spec, Service s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("Name", spec.getName());
        ObjectNode labels = o.putObject("Labels");
        spec.getLabelsMap().forEach(labels::put);
        ObjectNode template = o.putObject("TaskTemplate");
        ObjectNode container = template.putObject("ContainerSpec");
        container.put("Image", ServiceCommands.image(spec.getContainer().getImage()));
        if (spec.getContainer().getArgsCount() > 0) {
            container.set("Args", JSON.valueToTree(spec.getContainer().getArgsList()));
        }
        if (spec.getContainer().getEnvCount() > 0) {
            container.set("Env", JSON.valueToTree(spec.getContainer().getEnvList()));
        }
        if (!spec.getContainer().getHostname().isEmpty()) {
            container.put("Hostname", spec.getContainer().getHostname());
        }
        if (spec.getContainer().hasHealthcheck()) {
            HealthConfig h = spec.getContainer().getHealthcheck();
            ObjectNode health = container.putObject("Healthcheck");
            health.set("Test", JSON.valueToTree(h.getTestList()));
            if (h.getIntervalMs() > 0) {
                health.put("Interval", h.getIntervalMs() * NANOS_PER_MILLI);
            }
            if (h.getTimeoutMs() > 0) {
                health.put("Timeout", h.getTimeoutMs() * NANOS_PER_MILLI);
            }
            if (h.getRetries() > 0) {
                health.put("Retries", h.getRetries());
            }
            if (h.getStartPeriodMs() > 0) {
                health.put("StartPeriod", h.getStartPeriodMs() * NANOS_PER_MILLI);
            }
        }
        if (!spec.getContainer().getStopSignal().isEmpty()) {
            container.put("StopSignal", spec.getContainer().getStopSignal());
        }
        if (spec.getContainer().hasStopGracePeriodMs()) {
            container.put("StopGracePeriod", spec.getContainer().getStopGracePeriodMs() * NANOS_PER_MILLI);
        }
        if (spec.getContainer().getMountsCount() > 0) {
            ArrayNode mounts = container.putArray("Mounts");
            for (dev.flotilla.api.v1.Mount m : spec.getContainer().getMountsList()) {
                mount(mounts.addObject(), m);
            }
        }
        if (spec.getContainer().getConfigsCount() > 0) {
            ArrayNode configs = container.putArray("Configs");
            for (dev.flotilla.api.v1.ConfigReference r : spec.getContainer().getConfigsList()) {
                ObjectNode ref = configs.addObject();
                ref.putObject("File").put("Name", r.getFile().getName()).put("UID", r.getFile().getUid())
                        .put("GID", r.getFile().getGid()).put("Mode", r.getFile().getMode());
                ref.put("ConfigID", r.getConfigId()).put("ConfigName", r.getConfigName());
            }
        }
        if (spec.getContainer().getSecretsCount() > 0) {
            ArrayNode secrets = container.putArray("Secrets");
            for (dev.flotilla.api.v1.SecretReference r : spec.getContainer().getSecretsList()) {
                ObjectNode ref = secrets.addObject();
                ref.putObject("File").put("Name", r.getFile().getName()).put("UID", r.getFile().getUid())
                        .put("GID", r.getFile().getGid()).put("Mode", r.getFile().getMode());
                ref.put("SecretID", r.getSecretId()).put("SecretName", r.getSecretName());
            }
        }
        if (spec.getNetworksCount() > 0) {
            ArrayNode networks = template.putArray("Networks");
            for (String id : spec.getNetworksList()) {
                ObjectNode n = networks.addObject().put("Target", id);
                List<String> aliases = spec.getNetworkAliasesList().stream()
                        .filter(a -> a.getNetwork().equals(id)).map(NetworkAlias::getAlias).toList();
                if (!aliases.isEmpty()) {
                    n.set("Aliases", JSON.valueToTree(aliases));
                }
            }
        }
        ObjectNode resources = template.putObject("Resources");
        Resources limits = spec.getContainer().getResources().getLimits();
        Resources reservations = spec.getContainer().getResources().getReservations();
        ObjectNode limitsNode = resources.putObject("Limits");
        cpuAndMemory(limitsNode, limits);
        if (limits.getPids() > 0) {
            limitsNode.put("Pids", limits.getPids());
        }
        cpuAndMemory(resources.putObject("Reservations"), reservations);
        ObjectNode placement = template.putObject("Placement");
        if (spec.getPlacement().getConstraintsCount() > 0) {
            placement.set("Constraints", JSON.valueToTree(spec.getPlacement().getConstraintsList()));
        }
        if (spec.getPlacement().getPreferencesCount() > 0) {
            var prefs = placement.putArray("Preferences");
            spec.getPlacement().getPreferencesList().forEach(p ->
                    prefs.addObject().putObject("Spread").put("SpreadDescriptor", p.getSpread()));
        }
        if (spec.getPlacement().getMaxReplicas() > 0) {
            placement.put("MaxReplicas", spec.getPlacement().getMaxReplicas());
        }
        template.putObject("RestartPolicy")
                .put("Condition", DockerWords.of(spec.getRestart().getCondition()))
                .put("Delay", spec.getRestart().getDelayMs() * NANOS_PER_MILLI)
                .put("MaxAttempts", spec.getRestart().getMaxAttempts())
                .put("Window", spec.getRestart().getWindowMs() * NANOS_PER_MILLI)
                .put("MaxDelay", Math.max(spec.getRestart().getMaxDelayMs(), spec.getRestart().getDelayMs()) * NANOS_PER_MILLI);
        if (spec.getContainer().getForceUpdate() != 0) {
            template.put("ForceUpdate", spec.getContainer().getForceUpdate());
        }
        if (spec.getMode() == ServiceSpec.Mode.GLOBAL) {
            o.putObject("Mode").putObject("Global");
        } else if (spec.getMode() == ServiceSpec.Mode.GLOBAL_JOB) {
            o.putObject("Mode").putObject("GlobalJob");
        } else if (spec.getMode() == ServiceSpec.Mode.REPLICATED_JOB) {
            o.putObject("Mode").putObject("ReplicatedJob").put("MaxConcurrent", spec.getMaxConcurrent())
                    .put("TotalCompletions", spec.getReplicas());
        } else {
            o.putObject("Mode").putObject("Replicated").put("Replicas", spec.getReplicas());
        }
        if (spec.hasUpdate()) {
            o.set("UpdateConfig", updateConfig(spec.getUpdate()));
        }
        if (spec.hasRollback()) {
            o.set("RollbackConfig", updateConfig(spec.getRollback()));
        }
        o.set("EndpointSpec", endpointSpec(spec));
        return o;
    }

    /** Docker's UpdateConfig and RollbackConfig: durations in nanoseconds, words for the enums. */
    private static ObjectNode updateConfig(UpdateConfig c) {
        return JSON.createObjectNode()
                .put("Parallelism", c.getParallelism())
                .put("Delay", c.getDelayMs() * NANOS_PER_MILLI)
                .put("FailureAction", DockerWords.of(c.getFailureAction()))
                .put("Monitor", c.getMonitorMs() * NANOS_PER_MILLI)
                .put("MaxFailureRatio", c.getMaxFailureRatio())
                .put("Order", DockerWords.of(c.getOrder()));
    }

    private static ObjectNode endpointSpec(ServiceSpec spec) {
        ObjectNode o = JSON.createObjectNode();
        o.put("Mode", DockerWords.of(spec.getEndpointMode()));
        if (spec.getPortsCount() > 0) {
            o.set("Ports", ports(spec.getPortsList()));
        }
        return o;
    }

    private static ArrayNode ports(List<PortConfig> ports) {
        ArrayNode out = JSON.createArrayNode();
        for (PortConfig p : ports) {
            ObjectNode port = out.addObject();
            port.put("Protocol", DockerWords.of(p.getProtocol()));
            port.put("TargetPort", p.getTargetPort());
            if (p.getPublishedPort() != 0) {
                port.put("PublishedPort", p.getPublishedPort());
            }
            port.put("PublishMode", DockerWords.of(p.getPublishMode()));
        }
        return out;
    }

    /** Docker's Limit and Resources objects: NanoCPUs and MemoryBytes, each only when set. */
    private static void cpuAndMemory(ObjectNode o, Resources r) {
        if (r.getNanoCpus() > 0) {
            o.put("NanoCPUs", r.getNanoCpus());
        }
        if (r.getMemoryBytes() > 0) {
            o.put("MemoryBytes", r.getMemoryBytes());
        }
    }

    /** Docker's mount.Mount: empty and false fields left out, as Go's omitempty does. */
    private static void mount(ObjectNode node, dev.flotilla.api.v1.Mount m) {
        node.put("Type", MountOption.word(m.getType()));
        if (!m.getSource().isEmpty()) {
            node.put("Source", m.getSource());
        }
        node.put("Target", m.getTarget());
        if (m.getReadOnly()) {
            node.put("ReadOnly", true);
        }
        if (!m.getBindPropagation().isEmpty()) {
            node.putObject("BindOptions").put("Propagation", m.getBindPropagation());
        }
        if (m.hasVolume()) {
            ObjectNode v = node.putObject("VolumeOptions");
            if (m.getVolume().getNoCopy()) {
                v.put("NoCopy", true);
            }
            if (m.getVolume().getLabelsCount() > 0) {
                v.set("Labels", JSON.valueToTree(new java.util.TreeMap<>(m.getVolume().getLabelsMap())));
            }
            if (!m.getVolume().getDriver().isEmpty() || m.getVolume().getDriverOptionsCount() > 0) {
                ObjectNode d = v.putObject("DriverConfig");
                if (!m.getVolume().getDriver().isEmpty()) {
                    d.put("Name", m.getVolume().getDriver());
                }
                if (m.getVolume().getDriverOptionsCount() > 0) {
                    d.set("Options", JSON.valueToTree(new java.util.TreeMap<>(m.getVolume().getDriverOptionsMap())));
                }
            }
        }
        if (m.hasTmpfs()) {
            ObjectNode t = node.putObject("TmpfsOptions");
            if (m.getTmpfs().getSizeBytes() != 0) {
                t.put("SizeBytes", m.getTmpfs().getSizeBytes());
            }
            if (m.getTmpfs().getMode() != 0) {
                t.put("Mode", m.getTmpfs().getMode());
            }
        }
    }
}
