package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.Mount;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.PlacementPreference;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.cluster.placement.Constraint;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.common.GoFormat;
import dev.flotilla.common.MountRules;
import dev.flotilla.common.Names;
import dev.flotilla.common.ServiceDefaults;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Validation and defaults of a service spec, with Docker's wording where Docker has one. */
public final class ServiceSpecs {

    /** A signal as runc takes it: a name (SIGTERM, TERM, SIGRTMIN+3) or a number from 1 to 64. */
    private static final Pattern STOP_SIGNAL = Pattern.compile("(SIG)?[A-Z][A-Z0-9]*([+-][0-9]+)?|[1-9]|[1-5][0-9]|6[0-4]");

    private static final Pattern ALIAS = Pattern.compile(
            "(?=.{1,253}$)[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,62})(\\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*");

    private ServiceSpecs() {
    }

    /**
     * Checks a spec a user sent; returns it with defaults filled in. Protocol, publish mode,
     * endpoint mode and restart condition need none: their enums' zero values are Docker's defaults.
     */
    public static ServiceSpec validate(ServiceSpec spec) {
        if (!Names.isValid(spec.getName())) {
            throw new IllegalArgumentException("invalid name \"" + spec.getName()
                    + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at most 63 characters");
        }
        if (spec.getMode() == ServiceSpec.Mode.UNRECOGNIZED) {
            throw new IllegalArgumentException("invalid service mode " + spec.getModeValue());
        }
        boolean global = spec.getMode() == ServiceSpec.Mode.GLOBAL || spec.getMode() == ServiceSpec.Mode.GLOBAL_JOB;
        boolean job = spec.getMode() == ServiceSpec.Mode.REPLICATED_JOB || spec.getMode() == ServiceSpec.Mode.GLOBAL_JOB;
        if (global && spec.getReplicas() != 0) {
            throw new IllegalArgumentException("replicas can only be used with replicated or replicated-job mode");
        }
        if (spec.getMode() != ServiceSpec.Mode.REPLICATED_JOB && spec.getMaxConcurrent() != 0) {
            throw new IllegalArgumentException("max-concurrent can only be used with replicated-job mode");
        }
        if (job && (spec.hasUpdate() || spec.hasRollback())) {
            throw new IllegalArgumentException("Jobs may not have an update config");
        }
        String signal = spec.getContainer().getStopSignal();
        if (!signal.isEmpty() && !STOP_SIGNAL.matcher(signal).matches()) {
            throw new IllegalArgumentException("Invalid signal: " + signal);
        }
        if (spec.getContainer().getStopGracePeriodMs() < 0) {
            throw new IllegalArgumentException("stop grace period cannot be negative");
        }
        healthcheck(spec.getContainer().getHealthcheck());
        resources(spec.getContainer().getResources().getLimits());
        resources(spec.getContainer().getResources().getReservations());
        if (spec.getContainer().getResources().getReservations().getPids() != 0) {
            throw new IllegalArgumentException("a pids reservation is not supported: pids are only limited");
        }
        // swarmkit's own words ("constraint expected one operator from ==, !=", "key 'x' is invalid").
        Constraint.parse(spec.getPlacement().getConstraintsList());
        for (PlacementPreference p : spec.getPlacement().getPreferencesList()) {
            if (p.getSpread().isEmpty()) {
                throw new IllegalArgumentException("spread preference must name a label (node.labels.K)");
            }
        }
        if (spec.getPlacement().getMaxReplicas() > 0 && spec.getMode() != ServiceSpec.Mode.REPLICATED) {
            throw new IllegalArgumentException("replicas-max-per-node can only be used with replicated mode");
        }
        if (spec.getContainer().getImage().isEmpty()) {
            throw new IllegalArgumentException("ContainerSpec: image reference must be provided");
        }
        mounts(spec.getContainer().getMountsList());
        Set<String> seen = new HashSet<>();
        for (PortConfig p : spec.getPortsList()) {
            if (p.getTargetPort() < 1 || p.getTargetPort() > 65535) {
                throw new IllegalArgumentException("invalid target port " + p.getTargetPort());
            }
            if (p.getPublishedPort() > 65535) {
                throw new IllegalArgumentException("invalid published port " + p.getPublishedPort());
            }
            if (p.getProtocol() == PortConfig.Protocol.UNRECOGNIZED) {
                throw new IllegalArgumentException("invalid protocol " + p.getProtocolValue() + ": tcp or udp");
            }
            String port = p.getPublishedPort() + "/" + p.getProtocol().name().toLowerCase(Locale.ROOT);
            if (p.getPublishedPort() != 0 && !seen.add(port)) {
                throw new IllegalArgumentException("duplicate published port " + port);
            }
        }
        for (NetworkAlias a : spec.getNetworkAliasesList()) {
            if (!ALIAS.matcher(a.getAlias()).matches()) {
                throw new IllegalArgumentException("invalid network alias \"" + a.getAlias()
                        + "\": DNS labels of [a-zA-Z0-9_-] joined by dots, at most 253 characters");
            }
        }
        if (spec.getEndpointMode() == ServiceSpec.EndpointMode.UNRECOGNIZED) {
            throw new IllegalArgumentException("invalid endpoint mode " + spec.getEndpointModeValue() + ": vip or dnsrr");
        }
        if (spec.getEndpointMode() == ServiceSpec.EndpointMode.DNSRR && spec.getPortsCount() > 0) {
            throw new IllegalArgumentException("port published with ingress mode can't be used with dnsrr mode");
        }
        RestartPolicy.Builder r = spec.getRestart().toBuilder();
        if (r.getCondition() == RestartPolicy.Condition.UNRECOGNIZED) {
            throw new IllegalArgumentException("invalid restart condition " + r.getConditionValue());
        }
        if (!spec.hasRestart()) {
            r.setDelayMs(ServiceDefaults.RESTART_DELAY_MS);
        }
        if (r.getDelayMs() < 0) {
            throw new IllegalArgumentException("restart delay cannot be negative");
        }
        if (r.getWindowMs() < 0) {
            throw new IllegalArgumentException("restart window cannot be negative");
        }
        if (r.getMaxDelayMs() < 0) {
            throw new IllegalArgumentException("restart max delay cannot be negative");
        }
        if (job) {
            return spec.toBuilder().setRestart(r).build();
        }
        return spec.toBuilder().setRestart(r)
                .setUpdate(updateConfig(spec.hasUpdate() ? spec.getUpdate() : DEFAULT_UPDATE, false))
                .setRollback(updateConfig(spec.hasRollback() ? spec.getRollback() : DEFAULT_UPDATE, true))
                .build();
    }

    /**
     * The node's checks, made here so a bad mount is refused at once rather than rejected by every
     * node, and swarmkit's one mount point per target.
     */
    private static void mounts(List<Mount> mounts) {
        Set<String> targets = new HashSet<>();
        for (Mount m : mounts) {
            if (m.getType() == Mount.Type.UNRECOGNIZED) {
                throw new IllegalArgumentException("invalid mount type: " + m.getTypeValue());
            }
            String type = m.getType().name().toLowerCase(Locale.ROOT);
            MountRules.check(type, m.getSource(), m.getTarget());
            if (m.getType() != Mount.Type.BIND && !m.getBindPropagation().isEmpty()) {
                throw new IllegalArgumentException("invalid mount config for type \"" + type
                        + "\": field BindOptions must not be specified");
            }
            MountRules.checkPropagation(m.getBindPropagation());
            if (m.getType() != Mount.Type.VOLUME && m.hasVolume()) {
                throw new IllegalArgumentException("invalid mount config for type \"" + type
                        + "\": field VolumeOptions must not be specified");
            }
            if (m.getType() != Mount.Type.TMPFS && m.hasTmpfs()) {
                throw new IllegalArgumentException("invalid mount config for type \"" + type
                        + "\": field TmpfsOptions must not be specified");
            }
            if (m.getTmpfs().getSizeBytes() < 0) {
                throw new IllegalArgumentException("invalid mount config for type \"tmpfs\": invalid tmpfs size "
                        + m.getTmpfs().getSizeBytes());
            }
            if (m.getTmpfs().getMode() > 07777) {
                throw new IllegalArgumentException("invalid mount config for type \"tmpfs\": invalid tmpfs mode "
                        + Integer.toOctalString(m.getTmpfs().getMode()));
            }
            if (!targets.add(MountRules.clean(m.getTarget()))) {
                throw new IllegalArgumentException("invalid duplicate mount point: " + m.getTarget());
            }
        }
    }

    /**
     * swarmkit's defaults for updates and rollbacks alike: one slot at a time, no delay, pause on
     * the first failure seen within 5 s of a new task running, stop the old task first.
     */
    public static final UpdateConfig DEFAULT_UPDATE = UpdateConfig.newBuilder()
            .setParallelism(ServiceDefaults.PARALLELISM)
            .setDelayMs(0)
            .setFailureAction(UpdateConfig.FailureAction.PAUSE)
            .setMonitorMs(ServiceDefaults.MONITOR_MS)
            .setMaxFailureRatio(0)
            .setOrder(UpdateConfig.Order.STOP_FIRST)
            .setProgressDeadlineMs(ServiceDefaults.PROGRESS_DEADLINE_MS)
            .build();

    /** swarmkit's {@code validateResources}, with its words. */
    private static void resources(Resources r) {
        if (r.getNanoCpus() != 0 && r.getNanoCpus() < 1_000_000) {
            throw new IllegalArgumentException("invalid cpu value " + GoFormat.float64(r.getNanoCpus() / 1e9)
                    + ": Must be at least 0.001");
        }
        if (r.getMemoryBytes() != 0 && r.getMemoryBytes() < 4L * 1024 * 1024) {
            throw new IllegalArgumentException("invalid memory value " + r.getMemoryBytes() + ": Must be at least 4MiB");
        }
        if (r.getPids() < 0) {
            throw new IllegalArgumentException("invalid pids limit " + r.getPids() + ": Must be 0 (unlimited) or more");
        }
    }

    /** Docker's checks of a health check: durations of at least 1 ms when given, a known test type. */
    private static void healthcheck(HealthConfig h) {
        if (h.getIntervalMs() < 0 || h.getIntervalMs() > 0 && h.getIntervalMs() < 1) {
            throw new IllegalArgumentException("Interval in Healthcheck cannot be less than 1ms");
        }
        if (h.getTimeoutMs() < 0) {
            throw new IllegalArgumentException("Timeout in Healthcheck cannot be less than 1ms");
        }
        if (h.getStartPeriodMs() < 0) {
            throw new IllegalArgumentException("StartPeriod in Healthcheck cannot be less than 1ms");
        }
        if (h.getTestCount() > 0 && !Set.of("NONE", "CMD", "CMD-SHELL").contains(h.getTest(0))) {
            throw new IllegalArgumentException("unknown Healthcheck type " + h.getTest(0) + ": CMD, CMD-SHELL or NONE");
        }
        if (h.getTestCount() == 1 && !h.getTest(0).equals("NONE")) {
            throw new IllegalArgumentException("Healthcheck " + h.getTest(0) + " needs a command");
        }
    }

    /** swarmkit's checks of an update config, with its words ("TaskSpec: update-delay cannot be negative"). */
    private static UpdateConfig updateConfig(UpdateConfig c, boolean rollback) {
        if (c.getDelayMs() < 0) {
            throw new IllegalArgumentException("TaskSpec: update-delay cannot be negative");
        }
        if (c.getMonitorMs() < 0) {
            throw new IllegalArgumentException("TaskSpec: update-monitor cannot be negative");
        }
        if (c.getProgressDeadlineMs() < 0) {
            throw new IllegalArgumentException("TaskSpec: update-progress-deadline cannot be negative");
        }
        if (c.getMaxFailureRatio() < 0 || c.getMaxFailureRatio() > 1 || Float.isNaN(c.getMaxFailureRatio())) {
            throw new IllegalArgumentException("TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1");
        }
        if (c.getFailureAction() == UpdateConfig.FailureAction.UNRECOGNIZED || c.getOrder() == UpdateConfig.Order.UNRECOGNIZED) {
            throw new IllegalArgumentException("TaskSpec: unknown update failure action or order");
        }
        if (rollback && c.getFailureAction() == UpdateConfig.FailureAction.ROLLBACK) {
            throw new IllegalArgumentException("TaskSpec: rollback-failure-action cannot be rollback: pause or continue");
        }
        return c;
    }
}
