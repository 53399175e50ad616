package dev.flotilla.agent;

import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.Task;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Interface;
import dev.flotilla.ingress.Backend;
import dev.flotilla.ingress.BackendPool;
import dev.flotilla.ingress.IngressRouter;
import dev.flotilla.ingress.PortInUseException;
import dev.flotilla.ingress.Protocol;
import dev.flotilla.ingress.PublishedPort;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Programs this node's routing mesh from the store: every published port of every service in
 * the swarm is listened on here, and its pool holds the service's running tasks on the ingress
 * network, wherever they run. A task whose desired state leaves RUNNING leaves the pool at once,
 * before its node stops the container.
 */
public final class IngressMesh implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngressMesh.class);

    private final IngressRouter router;
    // Only touched under this object's lock, from the agent's reconcile thread.
    private final Map<PortKey, PublishedPort> published = new HashMap<>();

    private record PortKey(int port, Protocol protocol, String serviceId) {
    }

    public IngressMesh(IngressRouter router) {
        this.router = router;
    }

    public synchronized void update(StoreView view) {
        Map<PortKey, List<Backend>> wanted = new HashMap<>();
        String ingressId = view.ingressNetwork().map(n -> n.getId()).orElse("");
        for (Service s : view.services().values()) {
            for (PortConfig p : s.getEndpointPortsList()) {
                PortKey key = new PortKey(p.getPublishedPort(), protocol(p), s.getId());
                wanted.put(key, backends(view, s, p, ingressId));
            }
        }
        published.entrySet().removeIf(e -> {
            if (!wanted.containsKey(e.getKey())) {
                e.getValue().close();
                log.info("Routing mesh: port {}/{} unpublished", e.getKey().port(), e.getKey().protocol());
                return true;
            }
            return false;
        });
        for (Map.Entry<PortKey, List<Backend>> e : wanted.entrySet()) {
            PortKey key = e.getKey();
            PublishedPort port = published.get(key);
            if (port == null) {
                try {
                    port = router.publish(key.port(), key.protocol(), new BackendPool());
                } catch (PortInUseException ex) {
                    log.warn("Routing mesh: cannot publish {}/{} of service {}: {}", key.port(), key.protocol(),
                            key.serviceId(), ex.getMessage());
                    continue;
                }
                published.put(key, port);
                log.info("Routing mesh: port {}/{} published for service {}", key.port(), key.protocol(), key.serviceId());
            }
            if (!port.pool().backends().equals(e.getValue())) {
                port.pool().setBackends(e.getValue());
                log.debug("Routing mesh: {}/{} -> {}", key.port(), key.protocol(), e.getValue());
            }
        }
    }

    private static List<Backend> backends(StoreView view, Service s, PortConfig p, String ingressId) {
        List<Backend> out = new ArrayList<>();
        List<Task> tasks = new ArrayList<>(view.tasksOfService(s.getId()));
        tasks.sort((a, b) -> Long.compare(a.getSlot(), b.getSlot()));
        for (Task t : tasks) {
            if (!TaskStates.servesTraffic(t)) {
                continue;
            }
            for (NetworkAttachment a : t.getNetworksList()) {
                if (a.getNetworkId().equals(ingressId)) {
                    Ipv4Address ip = Ipv4Interface.parse(a.getAddress()).address();
                    out.add(new Backend(t.getId(), new InetSocketAddress(ip.toInetAddress(), p.getTargetPort())));
                }
            }
        }
        return out;
    }

    static Protocol protocol(PortConfig p) {
        return p.getProtocol() == PortConfig.Protocol.UDP ? Protocol.UDP : Protocol.TCP;
    }

    @Override
    public synchronized void close() {
        published.values().forEach(PublishedPort::close);
        published.clear();
    }
}
