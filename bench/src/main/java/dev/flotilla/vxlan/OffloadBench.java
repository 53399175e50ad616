package dev.flotilla.vxlan;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The VTEP's offload hot paths on a 64 KiB TCP super-frame at the 1500-byte underlay's MSS (1398
 * with timestamps): 47 inner frames. Figures are per inner frame ({@code OperationsPerInvocation}).
 * <ul>
 *   <li>{@code segment}: {@link VtepProtocol#fromTapVnet} on a {@code GSO_TCPV4} read: FDB lookup,
 *       47 frames with their own VXLAN, IPv4 and TCP headers and checksums, queued as two UDP GSO
 *       batches (on a socket that only releases them);</li>
 *   <li>{@code coalesce}: those 47 datagrams through the receive checks and {@link TcpCoalescer}:
 *       checksums verified, payloads copied into one super-frame per 64 KiB, written with a
 *       virtio_net_hdr (to a TAP that drops it);</li>
 *   <li>{@code checksum}: {@link InetChecksum#add} over one 1398-byte payload.</li>
 * </ul>
 * Lives in the VTEP's package to reach its package-private classes. In {@code -prof gc} the
 * segmenter's two output buffers per super-frame show up as bytes: JMH's threads are not Netty
 * event-loop threads, so the pool neither caches nor recycles the buffer objects there.
 * Run with {@code bench/jmh.sh OffloadBench -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OffloadBench {

    static final int VNI = 4096;
    static final int MSS = 1398;
    static final int PAYLOAD = 65_000;
    static final int SEGMENTS = (PAYLOAD + MSS - 1) / MSS;

    private static final Ipv4Address NODE_A = Ipv4Address.parse("198.18.0.1");
    private static final Ipv4Address NODE_B = Ipv4Address.parse("198.18.0.2");
    private static final Ipv4Address T2 = Ipv4Address.parse("10.0.0.2");
    private static final Ipv4Address T3 = Ipv4Address.parse("10.0.0.3");

    private final VtepCounters counters = new VtepCounters();
    private VtepProtocol sender;
    private VtepProtocol receiver;
    private TcpCoalescer rx;
    private ByteBuf superFrame;
    private ByteBuf scratch;
    private final List<ByteBuf> datagrams = new ArrayList<>();
    private final InetSocketAddress fromA = new InetSocketAddress(NODE_A.toInetAddress(), 4789);
    private final SinkUdp sinkUdp = new SinkUdp();
    private final SinkTap sinkTap = new SinkTap();

    @Setup
    public void setUp() {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT; // what the VTEP uses (adaptive in Netty 4.2)
        ForwardingDb fdbA = new ForwardingDb(4789);
        fdbA.setEndpoints(VNI, List.of(Endpoint.local(T2), Endpoint.remote(T3, NODE_B)));
        ForwardingDb fdbB = new ForwardingDb(4789);
        fdbB.setEndpoints(VNI, List.of(Endpoint.remote(T2, NODE_A), Endpoint.local(T3)));
        PeerFilter peersB = new PeerFilter();
        peersB.setPeers(List.of(NODE_A));
        sender = new VtepProtocol(fdbA, new PeerFilter(), counters, alloc);
        receiver = new VtepProtocol(fdbB, peersB, counters, alloc);
        receiver.attach(VNI, sinkTap);
        rx = new TcpCoalescer(alloc, counters);
        superFrame = superFrame(alloc);
        scratch = alloc.directBuffer(MSS, MSS);

        UdpBind collect = new UdpBind() {
            @Override
            public void send(ByteBuf payload, InetSocketAddress recipient) {
                datagrams.add(payload);
            }

            @Override
            public void flush() {
            }

            @Override
            public boolean isWritable() {
                return true;
            }
        };
        sender.fromTapVnet(VNI, sinkTap, superFrame, collect);
        if (datagrams.size() != SEGMENTS) {
            throw new IllegalStateException("expected " + SEGMENTS + " datagrams, got " + datagrams.size());
        }
    }

    @TearDown
    public void tearDown() {
        superFrame.release();
        scratch.release();
        datagrams.forEach(ByteBuf::release);
        rx.release();
    }

    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public int segment() {
        sender.fromTapVnet(VNI, sinkTap, superFrame, sinkUdp);
        return sinkUdp.bytes;
    }

    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public int coalesce() {
        for (int i = 0; i < datagrams.size(); i++) {
            ByteBuf d = datagrams.get(i);
            d.readerIndex(0);
            receiver.fromUdp(d, fromA, rx);
        }
        rx.flush();
        return sinkTap.bytes;
    }

    /** {@link InetChecksum#copyAndAdd}: one 1398-byte payload copied into another buffer while summed. */
    @Benchmark
    public long copyAndChecksum() {
        ByteBuf d = datagrams.get(0);
        return InetChecksum.copyAndAdd(0, d, 8 + 66, scratch, 0, MSS);
    }

    @Benchmark
    public long checksum() {
        ByteBuf d = datagrams.get(0);
        return InetChecksum.add(0, d, 8 + 66, MSS);
    }

    /** A read from a TSO TAP: virtio_net_hdr (GSO_TCPV4, NEEDS_CSUM) + Ethernet/IPv4/TCP(+timestamps) + payload. */
    private static ByteBuf superFrame(ByteBufAllocator alloc) {
        byte[] payload = new byte[PAYLOAD];
        new Random(1).nextBytes(payload);
        ByteBuf b = alloc.directBuffer(10 + 66 + PAYLOAD);
        b.writeByte(VirtioNetHeader.F_NEEDS_CSUM).writeByte(VirtioNetHeader.GSO_TCPV4).writeShortLE(66)
                .writeShortLE(MSS).writeShortLE(34).writeShortLE(16);
        long dst = MacAddress.fromIpv4(T3).value();
        long src = MacAddress.fromIpv4(T2).value();
        b.writeShort((int) (dst >>> 32)).writeInt((int) dst).writeShort((int) (src >>> 32)).writeInt((int) src);
        b.writeShort(0x0800);
        b.writeByte(0x45).writeByte(0).writeShort(52 + PAYLOAD).writeShort(1).writeShort(0x4000).writeByte(64)
                .writeByte(6).writeShort(0).writeInt(T2.value()).writeInt(T3.value());
        b.writeShort(40000).writeShort(5201).writeInt(1).writeInt(1).writeByte(8 << 4).writeByte(0x18)
                .writeShort(502).writeShort(0).writeShort(0);
        b.writeByte(1).writeByte(1).writeByte(8).writeByte(10).writeInt(1).writeInt(2);
        b.writeBytes(payload);
        return b;
    }

    /** A socket that drops what it is given. */
    static final class SinkUdp implements UdpBind {
        int bytes;

        @Override
        public void send(ByteBuf payload, InetSocketAddress recipient) {
            bytes += payload.readableBytes();
            payload.release();
        }

        @Override
        public void sendSegmented(ByteBuf payload, int segmentSize, InetSocketAddress recipient) {
            send(payload, recipient);
        }

        @Override
        public void flush() {
        }

        @Override
        public boolean isWritable() {
            return true;
        }
    }

    /** A TAP with offloads that drops what it is given. */
    static final class SinkTap implements TapDevice {
        int bytes;

        @Override
        public String name() {
            return "sink";
        }

        @Override
        public boolean vnetHeader() {
            return true;
        }

        @Override
        public void write(ByteBuf frame) {
            bytes += frame.readableBytes();
        }

        @Override
        public void writeVnet(ByteBuf headerAndFrame) {
            bytes += headerAndFrame.readableBytes();
        }
    }
}
