package dev.flotilla.agent;

import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.cluster.store.Actions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batches task status reports into one store write. Reports wait at most {@link #BATCH_MS};
 * a failed write (no quorum) keeps them for the next flush, newest report per task winning.
 */
final class StatusReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);

    /** Reports within this window share one Raft write. */
    static final long BATCH_MS = 50;

    private final Consumer<List<StoreAction>> writer;
    // Guarded by this.
    private final Map<String, TaskStatus> pending = new LinkedHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fl-status");
        t.setDaemon(true);
        return t;
    });

    StatusReporter(Consumer<List<StoreAction>> writer) {
        this.writer = writer;
        flusher.scheduleWithFixedDelay(this::flush, BATCH_MS, BATCH_MS, TimeUnit.MILLISECONDS);
    }

    synchronized void report(String taskId, TaskStatus status) {
        TaskStatus earlier = pending.get(taskId);
        if (earlier == null || status.getState().getNumber() >= earlier.getState().getNumber()) {
            pending.put(taskId, status);
        }
    }

    void flush() {
        Map<String, TaskStatus> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new LinkedHashMap<>(pending);
            pending.clear();
        }
        List<StoreAction> actions = new ArrayList<>();
        batch.forEach((id, status) -> actions.add(Actions.status(id, status)));
        try {
            writer.accept(actions);
        } catch (RuntimeException e) {
            log.warn("Task status write failed, will retry: {}", e.getMessage());
            batch.forEach(this::report);
        }
    }

    @Override
    public void close() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
