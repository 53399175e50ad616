package dev.flotilla.manager;

import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogOptions;
import dev.flotilla.api.v1.LogSource;
import dev.flotilla.api.v1.LogSubscription;
import dev.flotilla.api.v1.PublishLogsMessage;
import dev.flotilla.api.v1.PublishLogsResponse;
import dev.flotilla.common.Ids;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * The leader's side of workers' logs (swarmkit's log broker): a subscription goes down a node's
 * session, the node's lines come back on a PublishLogs stream and go to the subscriber. A node may
 * publish only the subscriptions sent to it; a subscription whose node's session ends is closed
 * with an error line, so a reader never waits for a node that left.
 */
public final class LogBroker {

    private record Subscriber(String nodeId, StreamObserver<LogMessage> out) {
    }

    private final BiPredicate<String, LogSubscription> send;
    private final Map<String, Subscriber> subscribers = new ConcurrentHashMap<>();

    /** @param send puts a subscription on a node's session; false if the node has none here */
    LogBroker(BiPredicate<String, LogSubscription> send) {
        this.send = send;
    }

    /**
     * Asks worker {@code nodeId} for the lines of {@code sources}; they go to {@code out}, which
     * completes when the node sent them all. Returns the cancel handle, or empty if the node has
     * no session with this manager.
     */
    public Optional<Runnable> subscribe(String nodeId, List<LogSource> sources, LogOptions options,
            StreamObserver<LogMessage> out) {
        String id = Ids.newId();
        subscribers.put(id, new Subscriber(nodeId, out));
        LogSubscription sub = LogSubscription.newBuilder().setId(id).addAllSources(sources).setOptions(options).build();
        if (!send.test(nodeId, sub)) {
            subscribers.remove(id);
            return Optional.empty();
        }
        return Optional.of(() -> {
            if (subscribers.remove(id) != null) {
                send.test(nodeId, LogSubscription.newBuilder().setId(id).setCancel(true).build());
            }
        });
    }

    /** One PublishLogs stream of node {@code callerNodeId}: all its messages are for one subscription. */
    StreamObserver<PublishLogsMessage> publisher(String callerNodeId, StreamObserver<PublishLogsResponse> response) {
        return new StreamObserver<>() {
            private String id;

            @Override
            public void onNext(PublishLogsMessage m) {
                id = m.getSubscriptionId();
                Subscriber s = subscribers.get(id);
                if (s == null || !s.nodeId().equals(callerNodeId)) {
                    return;
                }
                synchronized (s) {
                    m.getMessagesList().forEach(s.out()::onNext);
                }
            }

            @Override
            public void onError(Throwable t) {
                end("the node stopped sending its logs");
            }

            @Override
            public void onCompleted() {
                end(null);
                response.onNext(PublishLogsResponse.getDefaultInstance());
                response.onCompleted();
            }

            private void end(String error) {
                Subscriber s = id == null ? null : subscribers.get(id);
                if (s != null && s.nodeId().equals(callerNodeId) && subscribers.remove(id, s)) {
                    finish(s, error);
                }
            }
        };
    }

    /** A node's session ended: its subscriptions end with an error line. */
    void nodeGone(String nodeId) {
        subscribers.forEach((id, s) -> {
            if (s.nodeId().equals(nodeId) && subscribers.remove(id, s)) {
                finish(s, "the node's session with the leader ended");
            }
        });
    }

    private static void finish(Subscriber s, String error) {
        synchronized (s) {
            if (error != null) {
                s.out().onNext(LogMessage.newBuilder().setNodeId(s.nodeId()).setError(error).build());
            }
            s.out().onCompleted();
        }
    }
}
