package dev.flotilla.ingress;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the L4 proxy, shared by every port an {@link IngressRouter} publishes.
 *
 * @param tcpIdleTimeout      a proxied TCP connection with no byte in either direction for this
 *                            long is closed; {@link Duration#ZERO} (the default) never cuts a quiet
 *                            connection (Docker's IPVS cuts at 900 s, moby#31208)
 * @param connectTimeout      how long one connect to a backend may take before the next one is tried
 * @param upstreamBindAddress local address upstream connections and flows are made from (the node's
 *                            address on the ingress network), or {@code null} to let the kernel choose
 * @param udpFlowIdleTimeout  a UDP flow with no datagram in either direction for this long is
 *                            forgotten (UDP has no close); its next datagram opens a new flow
 * @param maxUdpFlows         flows per published UDP port; datagrams that would open one more are
 *                            dropped and counted
 * @param maxDatagramBytes    receive buffer per datagram; a larger datagram is truncated by the
 *                            kernel, so the default takes the largest UDP payload
 * @param relayBufferBytes    the write-buffer high water mark of both channels of a proxied TCP
 *                            connection (the side that feeds a channel above it stops reading until
 *                            the channel drains below half of it), and twice the largest single read;
 *                            so a direction holds at most 1.5 times this in user space (the mark plus
 *                            one read). See {@link #DEFAULT_RELAY_BUFFER_BYTES} for the default
 */
public record ProxyOptions(
        Duration tcpIdleTimeout,
        Duration connectTimeout,
        InetAddress upstreamBindAddress,
        Duration udpFlowIdleTimeout,
        int maxUdpFlows,
        int maxDatagramBytes,
        int relayBufferBytes) {

    public static final Duration DEFAULT_TCP_IDLE_TIMEOUT = Duration.ZERO;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_UDP_FLOW_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_UDP_FLOWS = 65_536;
    /** 65535 minus the IPv4 and UDP headers: the largest payload one UDP datagram can carry. */
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 65_507;

    /** Bounds of {@link #relayBufferBytes}: at least a few segments, at most what a kernel socket buffer holds. */
    public static final int MIN_RELAY_BUFFER_BYTES = 16 * 1024;
    public static final int MAX_RELAY_BUFFER_BYTES = 64 * 1024 * 1024;
    /**
     * 1 MiB, or {@code -Dflotilla.ingress.relayBufferBytes=N} (to compare), i.e. reads of up to 512 KiB.
     * With AUTO_READ off a relay reads once per event-loop turn and flushes after it; Netty's default
     * reads stop at 64 KiB, so a bulk transfer cost a read, a send and a loop turn per 64 KiB. Measured
     * through a VIP (bench/vip-vs-direct.sh, one stream, 5 pairs alternating on one daemon): 7.1 vs
     * 5.7 Gbit/s and 7.8 vs 11.3% of a core per Gbit/s with this default vs 64 KiB reads and water
     * marks. The high water mark alone (64 KiB vs 1 MiB, same reads) made no difference. Worst case
     * held in user space: 1.5 MiB per direction per connection whose far side does not read.
     */
    public static final int DEFAULT_RELAY_BUFFER_BYTES = Math.max(MIN_RELAY_BUFFER_BYTES, Math.min(
            MAX_RELAY_BUFFER_BYTES, Integer.getInteger("flotilla.ingress.relayBufferBytes", 1024 * 1024)));

    public static final ProxyOptions DEFAULTS = new ProxyOptions(DEFAULT_TCP_IDLE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
            null, DEFAULT_UDP_FLOW_IDLE_TIMEOUT, DEFAULT_MAX_UDP_FLOWS, DEFAULT_MAX_DATAGRAM_BYTES,
            DEFAULT_RELAY_BUFFER_BYTES);

    public ProxyOptions {
        Objects.requireNonNull(tcpIdleTimeout, "tcpIdleTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(udpFlowIdleTimeout, "udpFlowIdleTimeout");
        if (tcpIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("tcpIdleTimeout must be >= 0 (0 = none), got " + tcpIdleTimeout);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeout must be > 0 and fit in int millis, got " + connectTimeout);
        }
        if (udpFlowIdleTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("udpFlowIdleTimeout must be >= 1 ms, got " + udpFlowIdleTimeout);
        }
        if (maxUdpFlows < 1) {
            throw new IllegalArgumentException("maxUdpFlows must be >= 1, got " + maxUdpFlows);
        }
        if (maxDatagramBytes < 512 || maxDatagramBytes > 65_535) {
            throw new IllegalArgumentException("maxDatagramBytes must be in [512, 65535], got " + maxDatagramBytes);
        }
        if (relayBufferBytes < MIN_RELAY_BUFFER_BYTES || relayBufferBytes > MAX_RELAY_BUFFER_BYTES) {
            throw new IllegalArgumentException("relayBufferBytes must be in [" + MIN_RELAY_BUFFER_BYTES + ", "
                    + MAX_RELAY_BUFFER_BYTES + "], got " + relayBufferBytes);
        }
    }

    /** The write-buffer water marks of a relayed TCP channel: high {@link #relayBufferBytes}, low half of it. */
    WriteBufferWaterMark relayWaterMark() {
        return new WriteBufferWaterMark(relayBufferBytes / 2, relayBufferBytes);
    }

    /**
     * Reads of a relayed TCP channel: sized by Netty's adaptive guess as usual, but up to half of
     * {@link #relayBufferBytes} instead of 64 KiB, so one read never fills the peer's write buffer alone.
     */
    RecvByteBufAllocator relayReadAllocator() {
        return new AdaptiveRecvByteBufAllocator(AdaptiveRecvByteBufAllocator.DEFAULT_MINIMUM,
                AdaptiveRecvByteBufAllocator.DEFAULT_INITIAL, relayBufferBytes / 2);
    }

    public ProxyOptions withTcpIdleTimeout(Duration value) {
        return new ProxyOptions(value, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes, relayBufferBytes);
    }

    public ProxyOptions withConnectTimeout(Duration value) {
        return new ProxyOptions(tcpIdleTimeout, value, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes, relayBufferBytes);
    }

    public ProxyOptions withUpstreamBindAddress(InetAddress value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, value, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes, relayBufferBytes);
    }

    public ProxyOptions withUdpFlowIdleTimeout(Duration value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, value, maxUdpFlows,
                maxDatagramBytes, relayBufferBytes);
    }

    public ProxyOptions withMaxUdpFlows(int value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, value,
                maxDatagramBytes, relayBufferBytes);
    }

    public ProxyOptions withRelayBufferBytes(int value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes, value);
    }

    public ProxyOptions withMaxDatagramBytes(int value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                value, relayBufferBytes);
    }
}
