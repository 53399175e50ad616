package dev.flotilla.bench;

import dev.flotilla.vxlan.DropReason;
import dev.flotilla.vxlan.VxlanHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The VTEP's per-frame header work on a full-size frame (1450-byte inner MTU + 14 = 1464 bytes),
 * in a pooled direct buffer as {@code TapPort} and the UDP socket hand it over:
 * <ul>
 *   <li>{@code encap}: {@link VxlanHeader#encode} into the 8 bytes of headroom (no copy);</li>
 *   <li>{@code decap}: {@link VxlanHeader#validate}, {@link VxlanHeader#vni}, {@link VxlanHeader#strip}.</li>
 * </ul>
 * Each buffer is allocated once and its indexes reset per call, so {@code -prof gc} shows what the
 * codec itself allocates (nothing). Run with {@code bench/jmh.sh VxlanCodecBench -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VxlanCodecBench {

    /** Inner Ethernet frame at the task MTU of a 1500-byte underlay: 1450 + 14. */
    static final int FRAME = 1450 + 14;
    static final int VNI = 4096;

    private ByteBuf frame;
    private ByteBuf datagram;

    @Setup
    public void setUp() {
        frame = PooledByteBufAllocator.DEFAULT.directBuffer(VxlanHeader.LENGTH + FRAME);
        fill(frame.setIndex(VxlanHeader.LENGTH, VxlanHeader.LENGTH), FRAME);
        datagram = PooledByteBufAllocator.DEFAULT.directBuffer(VxlanHeader.LENGTH + FRAME);
        fill(datagram.setIndex(VxlanHeader.LENGTH, VxlanHeader.LENGTH), FRAME);
        datagram.readerIndex(VxlanHeader.LENGTH);
        VxlanHeader.encode(datagram, VNI);
    }

    private static void fill(ByteBuf buf, int length) {
        for (int i = 0; i < length; i++) {
            buf.writeByte(i);
        }
    }

    @TearDown
    public void tearDown() {
        frame.release();
        datagram.release();
    }

    /** Returns the new reader index (0), so the write cannot be elided. */
    @Benchmark
    public int encap() {
        frame.readerIndex(VxlanHeader.LENGTH);
        VxlanHeader.encode(frame, VNI);
        return frame.readerIndex();
    }

    /** Returns VNI + inner frame start, as the receive path uses both. */
    @Benchmark
    public int decap() {
        datagram.readerIndex(0);
        DropReason invalid = VxlanHeader.validate(datagram);
        if (invalid != null) {
            throw new AssertionError(invalid);
        }
        int vni = VxlanHeader.vni(datagram);
        VxlanHeader.strip(datagram);
        return vni + datagram.readerIndex();
    }
}
