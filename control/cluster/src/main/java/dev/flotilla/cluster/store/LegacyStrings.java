package dev.flotilla.cluster.store;

import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;

/**
 * Reads the strings older builds stored for protocol, publish mode, restart condition and
 * endpoint mode into today's enums. Raft logs and snapshots written before the enums still hold
 * them; the store converts an object once as it takes it in, so nothing else sees the strings.
 */
@SuppressWarnings("deprecation") // the legacy_* fields are deprecated so that only this class reads them
final class LegacyStrings {

    private LegacyStrings() {
    }

    static Service upgrade(Service s) {
        if (!hasLegacy(s)) {
            return s;
        }
        Service.Builder b = s.toBuilder().setSpec(upgrade(s.getSpec())).clearEndpointPorts();
        s.getEndpointPortsList().forEach(p -> b.addEndpointPorts(upgrade(p)));
        if (s.hasPreviousSpec()) {
            b.setPreviousSpec(upgrade(s.getPreviousSpec()));
        }
        return b.build();
    }

    static Task upgrade(Task t) {
        if (t.getPortsList().stream().noneMatch(LegacyStrings::hasLegacy) && t.getRestart().getLegacyCondition().isEmpty()) {
            return t;
        }
        Task.Builder b = t.toBuilder().clearPorts();
        t.getPortsList().forEach(p -> b.addPorts(upgrade(p)));
        if (t.hasRestart()) {
            b.setRestart(upgrade(t.getRestart()));
        }
        return b.build();
    }

    private static boolean hasLegacy(Service s) {
        return hasLegacy(s.getSpec()) || hasLegacy(s.getPreviousSpec())
                || s.getEndpointPortsList().stream().anyMatch(LegacyStrings::hasLegacy);
    }

    private static boolean hasLegacy(ServiceSpec spec) {
        return !spec.getLegacyEndpointMode().isEmpty() || !spec.getRestart().getLegacyCondition().isEmpty()
                || spec.getPortsList().stream().anyMatch(LegacyStrings::hasLegacy);
    }

    private static boolean hasLegacy(PortConfig p) {
        return !p.getLegacyProtocol().isEmpty() || !p.getLegacyPublishMode().isEmpty();
    }

    private static ServiceSpec upgrade(ServiceSpec spec) {
        ServiceSpec.Builder b = spec.toBuilder().clearPorts().clearLegacyEndpointMode();
        spec.getPortsList().forEach(p -> b.addPorts(upgrade(p)));
        if (!spec.getLegacyEndpointMode().isEmpty()) {
            b.setEndpointMode("dnsrr".equals(spec.getLegacyEndpointMode())
                    ? ServiceSpec.EndpointMode.DNSRR : ServiceSpec.EndpointMode.VIP);
        }
        if (spec.hasRestart()) {
            b.setRestart(upgrade(spec.getRestart()));
        }
        return b.build();
    }

    private static PortConfig upgrade(PortConfig p) {
        PortConfig.Builder b = p.toBuilder().clearLegacyProtocol().clearLegacyPublishMode();
        if (!p.getLegacyProtocol().isEmpty()) {
            b.setProtocol("udp".equals(p.getLegacyProtocol()) ? PortConfig.Protocol.UDP : PortConfig.Protocol.TCP);
        }
        if (!p.getLegacyPublishMode().isEmpty()) {
            b.setPublishMode("host".equals(p.getLegacyPublishMode())
                    ? PortConfig.PublishMode.HOST : PortConfig.PublishMode.INGRESS);
        }
        return b.build();
    }

    private static RestartPolicy upgrade(RestartPolicy r) {
        if (r.getLegacyCondition().isEmpty()) {
            return r;
        }
        RestartPolicy.Condition condition = switch (r.getLegacyCondition()) {
            case "on-failure" -> RestartPolicy.Condition.ON_FAILURE;
            case "none" -> RestartPolicy.Condition.NONE;
            default -> RestartPolicy.Condition.ANY;
        };
        return r.toBuilder().clearLegacyCondition().setCondition(condition).build();
    }
}
