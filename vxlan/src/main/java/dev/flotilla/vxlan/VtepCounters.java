package dev.flotilla.vxlan;

import dev.flotilla.dataplane.Counter;
import dev.flotilla.dataplane.Counters;
import java.util.SortedMap;

/**
 * A VTEP's counters, looked up once and held in fields; incremented from any event loop without
 * contention ({@link Counter} is a {@code LongAdder}). Names, all under scope {@code vxlan}:
 * {@code rx.packets|bytes} (frames decapsulated into a TAP, inner bytes), {@code tx.packets|bytes}
 * (frames encapsulated and handed to the socket, inner bytes), {@code arp.replies},
 * {@code tx.tso_frames} (TCP super-frames read from a TAP and segmented), {@code rx.gro_frames}
 * (coalesced TCP super-frames written to a TAP), {@code error.tap_read|tap_write|udp_send}, and one {@code drop.*} per {@link DropReason}.
 */
public final class VtepCounters {

    private final Counters counters = new Counters("vxlan");
    private final Counter rxPackets = counters.counter("rx.packets");
    private final Counter rxBytes = counters.counter("rx.bytes");
    private final Counter txPackets = counters.counter("tx.packets");
    private final Counter txBytes = counters.counter("tx.bytes");
    private final Counter txSuperFrames = counters.counter("tx.tso_frames");
    private final Counter rxSuperFrames = counters.counter("rx.gro_frames");
    private final Counter arpReplies = counters.counter("arp.replies");
    private final Counter tapReadErrors = counters.counter("error.tap_read");
    private final Counter tapWriteErrors = counters.counter("error.tap_write");
    private final Counter udpSendErrors = counters.counter("error.udp_send");
    private final Counter[] drops = new Counter[DropReason.values().length];

    public VtepCounters() {
        for (DropReason reason : DropReason.values()) {
            drops[reason.ordinal()] = counters.counter(reason.counterName());
        }
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()].increment();
    }

    void received(int innerBytes) {
        rxPackets.increment();
        rxBytes.add(innerBytes);
    }

    void sent(int innerBytes) {
        txPackets.increment();
        txBytes.add(innerBytes);
    }

    void sent(int packets, int innerBytes) {
        txPackets.add(packets);
        txBytes.add(innerBytes);
    }

    void received(int packets, int innerBytes) {
        rxPackets.add(packets);
        rxBytes.add(innerBytes);
    }

    /** One TCP super-frame read from a TAP and segmented (its segments count as {@code tx.packets}). */
    void txSuperFrame() {
        txSuperFrames.increment();
    }

    /** One coalesced TCP super-frame written to a TAP (its segments count as {@code rx.packets}). */
    void rxSuperFrame() {
        rxSuperFrames.increment();
    }

    public long txSuperFrames() {
        return txSuperFrames.get();
    }

    public long rxSuperFrames() {
        return rxSuperFrames.get();
    }

    void arpReplied() {
        arpReplies.increment();
    }

    void tapReadError() {
        tapReadErrors.increment();
    }

    void tapWriteError() {
        tapWriteErrors.increment();
    }

    void udpSendError() {
        udpSendErrors.increment();
    }

    public long drops(DropReason reason) {
        return drops[reason.ordinal()].get();
    }

    public long rxPackets() {
        return rxPackets.get();
    }

    public long rxBytes() {
        return rxBytes.get();
    }

    public long txPackets() {
        return txPackets.get();
    }

    public long txBytes() {
        return txBytes.get();
    }

    public long arpReplies() {
        return arpReplies.get();
    }

    public long tapWriteErrors() {
        return tapWriteErrors.get();
    }

    public long udpSendErrors() {
        return udpSendErrors.get();
    }

    /** Every counter by full name ({@code vxlan.rx.packets}, ...), for export and {@code inspect}. */
    public SortedMap<String, Long> snapshot() {
        return counters.snapshot();
    }

    @Override
    public String toString() {
        return counters.toString();
    }
}
