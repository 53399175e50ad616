package dev.flotilla.manager.logs;

import dev.flotilla.api.v1.LogMessage;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Joins the log streams of several nodes into one answer. Not following, it keeps every line
 * until the last node is done and sends them in time order (lines of one task keep their order);
 * following, it passes lines on as they come. A node that fails adds an error line and counts as
 * done, so one unreachable node never hides the others' lines.
 */
final class LogMerger {

    private final StreamObserver<LogMessage> out;
    private final boolean follow;
    private final List<LogMessage> buffer = new ArrayList<>();
    private int pending;
    private boolean started;
    private boolean finished;

    LogMerger(StreamObserver<LogMessage> out, boolean follow) {
        this.out = out;
        this.follow = follow;
    }

    /** A stream for one node's lines; all parts are made before {@link #start}. */
    synchronized StreamObserver<LogMessage> part(String nodeId) {
        pending++;
        return new StreamObserver<>() {
            private boolean done;

            @Override
            public void onNext(LogMessage m) {
                synchronized (LogMerger.this) {
                    if (finished || done) {
                        return;
                    }
                    if (follow) {
                        out.onNext(m);
                    } else {
                        buffer.add(m);
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                onNext(LogMessage.newBuilder().setNodeId(nodeId).setError(describe(t)).build());
                onCompleted();
            }

            @Override
            public void onCompleted() {
                synchronized (LogMerger.this) {
                    if (done) {
                        return;
                    }
                    done = true;
                    pending--;
                    finishIfDone();
                }
            }
        };
    }

    /** Every part is made: finish now if there was none. */
    synchronized void start() {
        started = true;
        finishIfDone();
    }

    /** The client went away: nothing more is sent. */
    synchronized void cancel() {
        finished = true;
    }

    private void finishIfDone() {
        if (!started || pending > 0 || finished) {
            return;
        }
        finished = true;
        buffer.sort(Comparator.comparingLong(LogMessage::getTimeNanos));
        buffer.forEach(out::onNext);
        buffer.clear();
        out.onCompleted();
    }

    static String describe(Throwable t) {
        if (t instanceof io.grpc.StatusRuntimeException e) {
            String d = e.getStatus().getDescription();
            return d != null ? d : e.getStatus().getCode().toString();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
