package dev.flotilla.manager.logs;

import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogSource;
import dev.flotilla.api.v1.LogsGrpc;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeLogsGrpc;
import dev.flotilla.api.v1.NodeLogsRequest;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceLogsRequest;
import dev.flotilla.api.v1.Task;
import dev.flotilla.cluster.logs.LogReader;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.manager.ClusterListener;
import dev.flotilla.manager.LogBroker;
import dev.flotilla.manager.Manager;
import io.grpc.ManagedChannel;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code service logs}: finds the tasks named (every task of a service, its history too), and
 * reads each node's share where it is: this node's here, another manager's from that manager,
 * a worker's through the leader (which asks it on its session). The nodes' lines are merged;
 * a node that cannot be reached adds an error line and the others' lines still come.
 */
public final class LogsService extends LogsGrpc.LogsImplBase {

    /** What the service needs of this node. */
    public interface Node {
        Optional<Manager> manager();

        /** The dispatcher's log broker while this node leads. */
        Optional<LogBroker> broker();

        String nodeId();

        /** Why this node refuses cluster commands (not in a swarm, or a worker). */
        String notManagerMessage();

        /** A mutual-TLS channel to another manager's {@code host:port}; the caller shuts it down. */
        ManagedChannel peer(String target);
    }

    private final Node node;
    private final LogReader local;

    public LogsService(Node node, LogReader local) {
        this.node = node;
        this.local = local;
    }

    @Override
    public void serviceLogs(ServiceLogsRequest request, StreamObserver<LogMessage> out) {
        List<Task> tasks;
        Manager m;
        try {
            m = node.manager().orElseThrow(() -> Errors.precondition(node.notManagerMessage()));
            tasks = tasks(m.view(), request.getTargetsList());
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
            return;
        }
        Map<String, List<LogSource>> byNode = new LinkedHashMap<>();
        for (Task t : tasks) {
            if (!t.getNodeId().isEmpty() && !t.getStatus().getContainerId().isEmpty()) {
                byNode.computeIfAbsent(t.getNodeId(), n -> new ArrayList<>()).add(LogSource.newBuilder()
                        .setTaskId(t.getId()).setContainerId(t.getStatus().getContainerId()).build());
            }
        }
        ServerCallStreamObserver<LogMessage> call = (ServerCallStreamObserver<LogMessage>) out;
        LogMerger merger = new LogMerger(out, request.getOptions().getFollow());
        Map<String, StreamObserver<LogMessage>> parts = new LinkedHashMap<>();
        byNode.keySet().forEach(n -> parts.put(n, merger.part(n)));
        List<Runnable> cancels = new ArrayList<>();
        call.setOnCancelHandler(() -> {
            merger.cancel();
            synchronized (cancels) {
                cancels.forEach(Runnable::run);
            }
        });
        merger.start();
        for (Map.Entry<String, List<LogSource>> e : byNode.entrySet()) {
            Runnable cancel = read(m, e.getKey(), e.getValue(), request, parts.get(e.getKey()));
            synchronized (cancels) {
                cancels.add(cancel);
            }
        }
        if (call.isCancelled()) {
            synchronized (cancels) {
                cancels.forEach(Runnable::run);
            }
        }
    }

    /** One node's lines into {@code part}; returns the cancel handle. */
    private Runnable read(Manager m, String nodeId, List<LogSource> sources, ServiceLogsRequest request,
            StreamObserver<LogMessage> part) {
        if (nodeId.equals(node.nodeId())) {
            return local.read(nodeId, sources, request.getOptions(), part);
        }
        StoreView view = m.view();
        Optional<dev.flotilla.api.v1.Node> target = view.node(nodeId);
        if (target.isPresent() && target.get().getRole() != NodeRole.MANAGER && m.isLeader()) {
            Optional<Runnable> sub = node.broker().flatMap(b -> b.subscribe(nodeId, sources, request.getOptions(), part));
            if (sub.isEmpty()) {
                part.onError(Errors.unavailable("node " + name(target.get()) + " is not connected"));
                return () -> { };
            }
            return sub.get();
        }
        // Another manager reads its own node; the leader reads (or relays) a worker's.
        Optional<String> via = target.filter(n -> n.getRole() == NodeRole.MANAGER).map(dev.flotilla.api.v1.Node::getAddr)
                .or(() -> m.raft().leaderId().flatMap(view::node).map(dev.flotilla.api.v1.Node::getAddr))
                .filter(a -> !a.isEmpty());
        if (via.isEmpty()) {
            part.onError(Errors.unavailable("no manager can reach node " + target.map(LogsService::name).orElse(nodeId)));
            return () -> { };
        }
        ManagedChannel channel = node.peer(via.get() + ":" + ClusterListener.PORT);
        NodeLogsGrpc.newStub(channel).read(NodeLogsRequest.newBuilder().setNodeId(nodeId).addAllSources(sources)
                .setOptions(request.getOptions()).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(LogMessage msg) {
                        part.onNext(msg);
                    }

                    @Override
                    public void onError(Throwable t) {
                        channel.shutdownNow();
                        part.onError(t);
                    }

                    @Override
                    public void onCompleted() {
                        channel.shutdownNow();
                        part.onCompleted();
                    }
                });
        return channel::shutdownNow;
    }

    private static String name(dev.flotilla.api.v1.Node n) {
        return n.getHostname().isEmpty() ? n.getId() : n.getHostname();
    }

    /**
     * The tasks {@code targets} name: a service (by id, name or unique id prefix) stands for all
     * its tasks, history included; otherwise a task by id or unique id prefix.
     */
    static List<Task> tasks(StoreView view, List<String> targets) {
        Set<Task> found = new LinkedHashSet<>();
        for (String target : targets) {
            Optional<Service> service = view.services().values().stream()
                    .filter(s -> s.getId().equals(target) || s.getSpec().getName().equals(target)).findFirst()
                    .or(() -> unique(view.services().values().stream().filter(s -> s.getId().startsWith(target)).toList()));
            if (service.isPresent()) {
                found.addAll(view.tasksOfService(service.get().getId()));
                continue;
            }
            Optional<Task> task = Optional.ofNullable(view.tasks().get(target))
                    .or(() -> unique(view.tasks().values().stream().filter(t -> t.getId().startsWith(target)).toList()));
            found.add(task.orElseThrow(() -> Errors.notFound("no such task or service: " + target)));
        }
        return List.copyOf(found);
    }

    private static <T> Optional<T> unique(List<T> matches) {
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }
}
