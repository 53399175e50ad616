package dev.flotilla.agent;

import com.google.protobuf.ByteString;
import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogOptions;
import dev.flotilla.api.v1.LogSource;
import dev.flotilla.cluster.logs.LogReader;
import dev.flotilla.executor.ContainerLogs;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads this node's task logs from the container log store: each task's kept lines (its last
 * {@code tail}, from {@code since}), merged in time order, then, following, the new lines of every
 * task every {@value #POLL_MS} ms, on two reader threads shared by all requests.
 */
public final class LocalLogs implements LogReader, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalLogs.class);
    static final long POLL_MS = 250;

    private final ContainerLogs logs;
    private final ScheduledExecutorService readers = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "fl-logs");
        t.setDaemon(true);
        return t;
    });

    public LocalLogs(ContainerLogs logs) {
        this.logs = logs;
    }

    @Override
    public Runnable read(String nodeId, List<LogSource> sources, LogOptions options, StreamObserver<LogMessage> out) {
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicReference<ScheduledFuture<?>> polling = new AtomicReference<>();
        readers.execute(() -> {
            try {
                Map<LogSource, ContainerLogs.Follower> followers = new LinkedHashMap<>();
                List<LogMessage> backlog = new ArrayList<>();
                for (LogSource source : sources) {
                    if (source.getContainerId().isEmpty() || !logs.exists(source.getContainerId())) {
                        continue;
                    }
                    ContainerLogs.Follower f = logs.follow(source.getContainerId(), true);
                    List<ContainerLogs.Line> lines = f.poll().stream()
                            .filter(l -> l.timeNanos() >= options.getSinceNanos()).toList();
                    if (options.getTail() >= 0 && lines.size() > options.getTail()) {
                        lines = lines.subList(lines.size() - (int) options.getTail(), lines.size());
                    }
                    lines.forEach(l -> backlog.add(message(nodeId, source, l)));
                    followers.put(source, f);
                }
                send(backlog, out, cancelled);
                if (!options.getFollow()) {
                    out.onCompleted();
                    return;
                }
                polling.set(readers.scheduleWithFixedDelay(() -> {
                    if (cancelled.get()) {
                        return;
                    }
                    try {
                        List<LogMessage> fresh = new ArrayList<>();
                        followers.forEach((source, f) -> f.poll().forEach(l -> fresh.add(message(nodeId, source, l))));
                        send(fresh, out, cancelled);
                    } catch (RuntimeException e) {
                        log.warn("Following task logs failed: {}", e.toString());
                        cancelled.set(true);
                        polling.get().cancel(false);
                        out.onError(Status.INTERNAL.withDescription("cannot read the logs: " + e.getMessage()).asRuntimeException());
                    }
                }, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS));
                if (cancelled.get()) {
                    polling.get().cancel(false);
                }
            } catch (RuntimeException e) {
                log.warn("Reading task logs failed: {}", e.toString());
                out.onError(Status.INTERNAL.withDescription("cannot read the logs: " + e.getMessage()).asRuntimeException());
            }
        });
        return () -> {
            cancelled.set(true);
            ScheduledFuture<?> p = polling.get();
            if (p != null) {
                p.cancel(false);
            }
        };
    }

    private static void send(List<LogMessage> messages, StreamObserver<LogMessage> out, AtomicBoolean cancelled) {
        messages.sort(Comparator.comparingLong(LogMessage::getTimeNanos));
        for (LogMessage m : messages) {
            if (cancelled.get()) {
                return;
            }
            out.onNext(m);
        }
    }

    private static LogMessage message(String nodeId, LogSource source, ContainerLogs.Line line) {
        return LogMessage.newBuilder().setTaskId(source.getTaskId()).setNodeId(nodeId).setTimeNanos(line.timeNanos())
                .setStderr(line.stderr()).setLine(ByteString.copyFrom(line.text())).build();
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }
}
