package dev.flotilla.manager.allocator;

import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreConstraints;
import dev.flotilla.cluster.store.StoreView;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Published ports of a new service: each taken by no other service and bindable on this node; a
 * port given as 0 gets the lowest free one of the dynamic range. Ports in use are read from the
 * services in the view, so a service's ports are free again once it is removed. The view may be
 * stale: the state machine refuses a port another write took meanwhile
 * ({@link StoreConstraints}), and the caller then allocates again on the newer view.
 */
public final class PortAllocator {

    /** Docker's range for published ports chosen by the swarm. */
    public static final int DYNAMIC_MIN = 30000;
    public static final int DYNAMIC_MAX = 32767;

    private final PortProbe probe;

    public PortAllocator(PortProbe probe) {
        this.probe = probe;
    }

    /** The endpoint ports for {@code spec}'s published ports, every one in ingress mode. */
    public List<PortConfig> allocate(StoreView view, ServiceSpec spec) {
        return allocate(view, null, spec);
    }

    /**
     * The endpoint ports of {@code current} once its spec is {@code next}: a port it keeps (same
     * target and protocol, published as before or left to the swarm) keeps its number and is not
     * probed (this node's mesh holds it); a new one is allocated as for a new service.
     */
    public List<PortConfig> reallocate(StoreView view, Service current, ServiceSpec next) {
        return allocate(view, current, next);
    }

    private List<PortConfig> allocate(StoreView view, Service current, ServiceSpec spec) {
        Set<PublishedPort> taken = new HashSet<>();
        for (Service s : view.services().values()) {
            if (current != null && s.getId().equals(current.getId())) {
                continue;
            }
            for (PortConfig p : s.getEndpointPortsList()) {
                taken.add(new PublishedPort(p.getPublishedPort(), p.getProtocol()));
                if (spec.getPortsList().stream().anyMatch(q -> q.getPublishedPort() == p.getPublishedPort()
                        && q.getProtocol() == p.getProtocol())) {
                    throw Errors.invalid(StoreConstraints.portInUse(p.getPublishedPort(), s));
                }
            }
        }
        List<PortConfig> out = new ArrayList<>();
        List<PortConfig> held = current == null ? List.of() : new ArrayList<>(current.getEndpointPortsList());
        for (PortConfig p : spec.getPortsList()) {
            PortConfig.Builder b = p.toBuilder().setPublishMode(PortConfig.PublishMode.INGRESS);
            Optional<PortConfig> kept = held.stream().filter(h -> h.getTargetPort() == p.getTargetPort()
                    && h.getProtocol() == p.getProtocol()
                    && (p.getPublishedPort() == 0 || p.getPublishedPort() == h.getPublishedPort())).findFirst();
            if (kept.isPresent()) {
                held.remove(kept.get());
                b.setPublishedPort(kept.get().getPublishedPort());
            } else if (p.getPublishedPort() == 0) {
                b.setPublishedPort(dynamic(p.getProtocol(), taken));
            } else {
                Optional<String> busy = probe.check(p.getPublishedPort(), p.getProtocol());
                if (busy.isPresent()) {
                    throw new BusyOnThisNode(busy.get());
                }
            }
            taken.add(new PublishedPort(b.getPublishedPort(), b.getProtocol()));
            out.add(b.build());
        }
        return out;
    }

    /** The lowest port of the dynamic range no service holds and this node can bind. */
    private int dynamic(PortConfig.Protocol protocol, Set<PublishedPort> taken) {
        for (int port = DYNAMIC_MIN; port <= DYNAMIC_MAX; port++) {
            if (!taken.contains(new PublishedPort(port, protocol)) && probe.check(port, protocol).isEmpty()) {
                return port;
            }
        }
        throw Errors.unavailable("no free port left in " + DYNAMIC_MIN + "-" + DYNAMIC_MAX);
    }

    private record PublishedPort(int port, PortConfig.Protocol protocol) {
    }

    /**
     * A port the store gives no service but this node cannot bind. It may be this node's own mesh
     * holding it for a service created through another manager, committed but not yet applied
     * here (the node's session can be ahead of its Raft member): the caller reads the store again
     * once it has caught up before it answers.
     */
    public static final class BusyOnThisNode extends RuntimeException {
        BusyOnThisNode(String message) {
            super(message);
        }
    }
}
