package dev.flotilla.manager.logs;

import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.NodeLogsGrpc;
import dev.flotilla.api.v1.NodeLogsRequest;
import dev.flotilla.cluster.ca.NodeAuthInterceptor;
import dev.flotilla.cluster.logs.LogReader;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.manager.LogBroker;
import dev.flotilla.manager.Manager;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A manager's answer to another manager asking for one node's task logs: this node's own, read
 * here, or, on the leader, a worker's through its session. Only managers may ask.
 */
public final class NodeLogsService extends NodeLogsGrpc.NodeLogsImplBase {

    private final String selfNodeId;
    private final Manager manager;
    private final Supplier<Optional<LogBroker>> broker;
    private final LogReader local;

    public NodeLogsService(String selfNodeId, Manager manager, Supplier<Optional<LogBroker>> broker, LogReader local) {
        this.selfNodeId = selfNodeId;
        this.manager = manager;
        this.broker = broker;
        this.local = local;
    }

    @Override
    public void read(NodeLogsRequest request, StreamObserver<LogMessage> out) {
        if (!NodeAuthInterceptor.PEER.get().manager()) {
            out.onError(Errors.denied("only a manager may read a node's logs"));
            return;
        }
        ServerCallStreamObserver<LogMessage> call = (ServerCallStreamObserver<LogMessage>) out;
        Runnable cancel;
        if (request.getNodeId().equals(selfNodeId)) {
            cancel = local.read(selfNodeId, request.getSourcesList(), request.getOptions(), out);
        } else {
            Optional<Runnable> sub = manager.isLeader()
                    ? broker.get().flatMap(b -> b.subscribe(request.getNodeId(), request.getSourcesList(), request.getOptions(), out))
                    : Optional.empty();
            if (sub.isEmpty()) {
                out.onError(Errors.unavailable("node " + request.getNodeId() + " is not connected to this manager"));
                return;
            }
            cancel = sub.get();
        }
        call.setOnCancelHandler(cancel);
    }
}
