package dev.flotilla.daemon.membership;

import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.manager.Dispatcher;
import dev.flotilla.vxlan.VtepConfig;

/**
 * The swarm-wide settings {@code swarm init} was given, checked and with Docker's defaults
 * filled in: the pool overlay subnets come from, their size, the VXLAN port, the heartbeat.
 */
record InitSettings(Ipv4Prefix pool, int subnetSize, int dataPathPort, long heartbeatMs) {

    /** Docker's default address pool and Flotilla's default subnet size (see REFERENCE.md). */
    static final String DEFAULT_ADDR_POOL = "10.0.0.0/8";
    static final int DEFAULT_SUBNET_SIZE = 20;
    /** The smallest dispatcher heartbeat period a user may ask for. */
    static final long MIN_HEARTBEAT_MS = 100;

    /** The request's settings, or a message a user can act on for the first one that is wrong. */
    static InitSettings of(InitSwarmRequest request) {
        String pool = request.getDefaultAddrPool().isEmpty() ? DEFAULT_ADDR_POOL : request.getDefaultAddrPool();
        int size = request.getDefaultAddrPoolMaskLength() == 0 ? DEFAULT_SUBNET_SIZE : request.getDefaultAddrPoolMaskLength();
        Ipv4Prefix poolPrefix = parsePool(pool, size);
        long heartbeat = request.getDispatcherHeartbeatMs();
        if (heartbeat < 0 || (heartbeat > 0 && heartbeat < MIN_HEARTBEAT_MS)) {
            throw Errors.invalid("invalid dispatcher heartbeat period: it must be at least 100ms");
        }
        return new InitSettings(poolPrefix, size,
                request.getDataPathPort() == 0 ? VtepConfig.DEFAULT_PORT : request.getDataPathPort(),
                heartbeat == 0 ? Dispatcher.DEFAULT_HEARTBEAT_MS : heartbeat);
    }

    private static Ipv4Prefix parsePool(String pool, int size) {
        Ipv4Prefix prefix;
        try {
            prefix = Ipv4Prefix.parse(pool);
        } catch (IllegalArgumentException e) {
            throw Errors.invalid("invalid default address pool \"" + pool + "\": " + e.getMessage());
        }
        if (size < prefix.prefixLength() || size > 29) {
            throw Errors.invalid("invalid default address pool mask length " + size
                    + ": it must be between " + prefix.prefixLength() + " and 29");
        }
        return prefix;
    }
}
