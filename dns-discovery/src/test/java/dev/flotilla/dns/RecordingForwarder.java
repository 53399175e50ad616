package dev.flotilla.dns;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** A forwarder that keeps what it is given, so tests can look at it and answer by hand. */
final class RecordingForwarder implements DnsForwarder {

    /** One forwarded query; {@code query} is owned by the test until released. */
    record Forwarded(ByteBuf query, boolean overTcp, Callback callback) {
    }

    final List<Forwarded> forwarded = new ArrayList<>();
    /** When set, every query is released and failed at once (the fuzz test's mode). */
    boolean failImmediately;

    @Override
    public void forward(ByteBuf query, boolean overTcp, Callback callback) {
        if (failImmediately) {
            query.release();
            callback.onFailure();
        } else {
            forwarded.add(new Forwarded(query, overTcp, callback));
        }
    }

    void releaseAll() {
        forwarded.forEach(f -> f.query().release());
        forwarded.clear();
    }

    @Override
    public void close() {
        releaseAll();
    }
}
