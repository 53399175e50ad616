package dev.flotilla.bench;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.vxlan.ArpResponder;
import dev.flotilla.vxlan.Endpoint;
import dev.flotilla.vxlan.ForwardingDb;
import dev.flotilla.vxlan.ForwardingTable;
import dev.flotilla.vxlan.VtepCounters;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
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
 * ARP suppression's cost per request: {@link ArpResponder#reply} for a remote endpoint of a
 * 100-endpoint network (the FDB hit path), the reply released again as {@code VtepProtocol} does
 * after writing it to the TAP. The request buffer is built once and only read.
 * <ul>
 *   <li>{@code reply}: the reply buffer is one buffer reused across calls ({@link ReusingAllocator}),
 *       so the figure is the responder's own work and {@code -prof gc} shows what it allocates;</li>
 *   <li>{@code replyPooled}: from {@link PooledByteBufAllocator#DEFAULT}, as the VTEP does. On JMH's
 *       plain threads Netty 4.2 neither caches pool chunks nor recycles buffer objects (its event
 *       loops' FastThreadLocalThreads do), so this one shows the allocator's cost off a loop.</li>
 * </ul>
 * Run with {@code bench/jmh.sh ArpResponderBench -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ArpResponderBench {

    private static final int VNI = 4096;
    private static final Ipv4Address SENDER = Ipv4Address.parse("10.0.0.2");
    /** The 50th endpoint: somewhere in the middle of the table. */
    private static final Ipv4Address TARGET = Ipv4Address.parse("10.0.0.51");

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ReusingAllocator reusing;
    private ArpResponder responder;
    private ForwardingTable table;
    private ByteBuf request;

    @Setup
    public void setUp() {
        ForwardingDb fdb = new ForwardingDb(4789);
        List<Endpoint> endpoints = new ArrayList<>();
        endpoints.add(Endpoint.local(SENDER));
        Ipv4Address vtep = Ipv4Address.parse("198.18.0.2");
        for (int i = 3; i < 103; i++) {
            endpoints.add(Endpoint.remote(Ipv4Address.parse("10.0.0." + i), vtep));
        }
        fdb.setEndpoints(VNI, endpoints);
        table = fdb.table(VNI);
        responder = new ArpResponder(new VtepCounters());
        request = alloc.directBuffer(42);
        long senderMac = MacAddress.fromIpv4(SENDER).value();
        request.writeShort(0xffff).writeInt(0xffffffff);                   // broadcast
        request.writeShort((int) (senderMac >>> 32)).writeInt((int) senderMac);
        request.writeShort(0x0806);                                        // ARP
        request.writeShort(1).writeShort(0x0800).writeByte(6).writeByte(4).writeShort(1); // Ethernet/IPv4, request
        request.writeShort((int) (senderMac >>> 32)).writeInt((int) senderMac);
        request.writeInt(SENDER.value());
        request.writeShort(0).writeInt(0);
        request.writeInt(TARGET.value());
        reusing = new ReusingAllocator(alloc.directBuffer(64));
        if (reply() == 0 || replyPooled() == 0) {
            throw new IllegalStateException("the request was not answered: " + responder);
        }
    }

    @TearDown
    public void tearDown() {
        request.release();
        reusing.buffer.release();
    }

    /** Returns the reply's length (42) after releasing it, as VtepProtocol does once written. */
    @Benchmark
    public int reply() {
        return answer(reusing);
    }

    @Benchmark
    public int replyPooled() {
        return answer(alloc);
    }

    private int answer(ByteBufAllocator from) {
        ByteBuf reply = responder.reply(request, table, from);
        if (reply == null) {
            return 0;
        }
        try {
            return reply.readableBytes();
        } finally {
            reply.release();
        }
    }

    /**
     * Hands out the same direct buffer every time, cleared and retained once, so the caller's
     * release leaves it alive for the next call. Only for one thread, one reply in flight.
     */
    static final class ReusingAllocator extends AbstractByteBufAllocator {

        final ByteBuf buffer;

        ReusingAllocator(ByteBuf buffer) {
            super(true);
            this.buffer = buffer;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (initialCapacity > buffer.capacity()) {
                throw new IllegalArgumentException("reusable buffer too small for " + initialCapacity);
            }
            return buffer.clear().retain();
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            throw new UnsupportedOperationException("ArpResponder asks for direct buffers only");
        }

        @Override
        public boolean isDirectBufferPooled() {
            return true;
        }
    }
}
