package dev.flotilla.ingress;

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
 */
public record ProxyOptions(
        Duration tcpIdleTimeout,
        Duration connectTimeout,
        InetAddress upstreamBindAddress,
        Duration udpFlowIdleTimeout,
        int maxUdpFlows,
        int maxDatagramBytes) {

    public static final Duration DEFAULT_TCP_IDLE_TIMEOUT = Duration.ZERO;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_UDP_FLOW_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_UDP_FLOWS = 65_536;
    /** 65535 minus the IPv4 and UDP headers: the largest payload one UDP datagram can carry. */
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 65_507;

    public static final ProxyOptions DEFAULTS = new ProxyOptions(DEFAULT_TCP_IDLE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
            null, DEFAULT_UDP_FLOW_IDLE_TIMEOUT, DEFAULT_MAX_UDP_FLOWS, DEFAULT_MAX_DATAGRAM_BYTES);

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
    }

    public ProxyOptions withTcpIdleTimeout(Duration value) {
        return new ProxyOptions(value, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes);
    }

    public ProxyOptions withConnectTimeout(Duration value) {
        return new ProxyOptions(tcpIdleTimeout, value, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes);
    }

    public ProxyOptions withUpstreamBindAddress(InetAddress value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, value, udpFlowIdleTimeout, maxUdpFlows,
                maxDatagramBytes);
    }

    public ProxyOptions withUdpFlowIdleTimeout(Duration value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, value, maxUdpFlows,
                maxDatagramBytes);
    }

    public ProxyOptions withMaxUdpFlows(int value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, value,
                maxDatagramBytes);
    }

    public ProxyOptions withMaxDatagramBytes(int value) {
        return new ProxyOptions(tcpIdleTimeout, connectTimeout, upstreamBindAddress, udpFlowIdleTimeout, maxUdpFlows,
                value);
    }
}
