package dev.flotilla.dns;

import dev.flotilla.dataplane.Counter;
import dev.flotilla.dataplane.Counters;
import java.util.SortedMap;

/**
 * What the embedded DNS server has done, across all sandboxes; the query path counts here instead
 * of logging. Updated from any event loop without locks ({@link Counter} is a LongAdder).
 */
public final class DnsCounters {

    private final Counters registry = new Counters("dns");
    /** Queries decoded (well-formed or not), over UDP and TCP. */
    final Counter queries = registry.counter("queries");
    /** Queries answered from the record table (answers, NODATA and local NXDOMAIN). */
    final Counter answeredLocally = registry.counter("answered_locally");
    /** Queries handed to the upstream forwarder. */
    final Counter forwarded = registry.counter("forwarded");
    /** Local NXDOMAIN answers (single-label names nobody in scope has). */
    final Counter nxdomain = registry.counter("nxdomain");
    /** Known names without a record of the asked type: NOERROR, no answers. */
    final Counter nodata = registry.counter("nodata");
    /** UDP answers cut to the client's size with TC set (local or forwarded). */
    final Counter truncated = registry.counter("truncated");
    /** FORMERR answers: undecodable bodies with a readable header, or not exactly one question. */
    final Counter formerr = registry.counter("formerr");
    /** NOTIMP answers: opcodes other than QUERY. */
    final Counter notimp = registry.counter("notimp");
    /** SERVFAIL answers: every upstream failed, none configured, or too many forwards in flight. */
    final Counter servfail = registry.counter("servfail");
    /** Datagrams dropped unanswered: shorter than a header, or responses sent to us. */
    final Counter drops = registry.counter("drops");
    /** Upstream attempts that timed out, failed or answered SERVFAIL/REFUSED (the next was tried). */
    final Counter upstreamFailures = registry.counter("upstream_failures");
    /** Upstream datagrams matching no query in flight (late, spoofed or from the wrong server). */
    final Counter upstreamStrays = registry.counter("upstream_strays");

    public long queries() {
        return queries.get();
    }

    public long answeredLocally() {
        return answeredLocally.get();
    }

    public long forwarded() {
        return forwarded.get();
    }

    public long nxdomain() {
        return nxdomain.get();
    }

    public long nodata() {
        return nodata.get();
    }

    public long truncated() {
        return truncated.get();
    }

    public long formerr() {
        return formerr.get();
    }

    public long notimp() {
        return notimp.get();
    }

    public long servfail() {
        return servfail.get();
    }

    public long drops() {
        return drops.get();
    }

    public long upstreamFailures() {
        return upstreamFailures.get();
    }

    public long upstreamStrays() {
        return upstreamStrays.get();
    }

    /** Every counter by full name ({@code dns.queries}, ...). */
    public SortedMap<String, Long> snapshot() {
        return registry.snapshot();
    }

    @Override
    public String toString() {
        return registry.toString();
    }
}
