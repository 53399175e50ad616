package dev.flotilla.dns;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the embedded DNS server, with bounds checked here once.
 *
 * @param ttlSeconds TTL of local answers; short (CoreDNS's 5 s, not Docker's 600 s) so a removed
 *     task leaves clients' caches quickly. 0..3600
 * @param maxUdpPayload the largest UDP answer we send and the size we advertise in EDNS0; a client's
 *     own EDNS0 size is capped to it. 512..65_000, default 4096
 * @param upstreamTimeout how long each upstream gets before the next is tried (resolv.conf's 4 s
 *     is also Docker's); 10 ms..30 s
 * @param maxPendingForwards forwarded queries in flight at once; beyond that a query is answered
 *     SERVFAIL at once instead of queueing without bound. 1..60_000 (ids are 16 bits)
 */
public record DnsServerOptions(int ttlSeconds, int maxUdpPayload, Duration upstreamTimeout, int maxPendingForwards) {

    public static final int DEFAULT_TTL_SECONDS = 5;
    public static final int MIN_TTL_SECONDS = 0;
    public static final int MAX_TTL_SECONDS = 3600;
    public static final int DEFAULT_MAX_UDP_PAYLOAD = 4096;
    public static final Duration DEFAULT_UPSTREAM_TIMEOUT = Duration.ofSeconds(4);
    public static final int DEFAULT_MAX_PENDING_FORWARDS = 4096;
    /** RFC 1035's UDP size for clients that send no EDNS0 OPT record. */
    public static final int CLASSIC_UDP_PAYLOAD = 512;

    public DnsServerOptions {
        if (ttlSeconds < MIN_TTL_SECONDS || ttlSeconds > MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("DNS TTL " + ttlSeconds + "s is outside " + MIN_TTL_SECONDS + ".."
                    + MAX_TTL_SECONDS);
        }
        if (maxUdpPayload < CLASSIC_UDP_PAYLOAD || maxUdpPayload > 65_000) {
            throw new IllegalArgumentException("DNS max UDP payload " + maxUdpPayload + " is outside 512..65000");
        }
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        if (upstreamTimeout.compareTo(Duration.ofMillis(10)) < 0 || upstreamTimeout.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("DNS upstream timeout " + upstreamTimeout + " is outside 10ms..30s");
        }
        if (maxPendingForwards < 1 || maxPendingForwards > 60_000) {
            throw new IllegalArgumentException("DNS max pending forwards " + maxPendingForwards + " is outside 1..60000");
        }
    }

    public static DnsServerOptions defaults() {
        return new DnsServerOptions(DEFAULT_TTL_SECONDS, DEFAULT_MAX_UDP_PAYLOAD, DEFAULT_UPSTREAM_TIMEOUT,
                DEFAULT_MAX_PENDING_FORWARDS);
    }

    public DnsServerOptions withTtlSeconds(int ttl) {
        return new DnsServerOptions(ttl, maxUdpPayload, upstreamTimeout, maxPendingForwards);
    }

    public DnsServerOptions withUpstreamTimeout(Duration timeout) {
        return new DnsServerOptions(ttlSeconds, maxUdpPayload, timeout, maxPendingForwards);
    }

    public DnsServerOptions withMaxPendingForwards(int max) {
        return new DnsServerOptions(ttlSeconds, maxUdpPayload, upstreamTimeout, max);
    }
}
