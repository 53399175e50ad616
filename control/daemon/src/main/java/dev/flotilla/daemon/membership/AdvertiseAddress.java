package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.rpc.Errors;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.List;

/** The address this node advertises to the swarm: the one asked for, which must be its own, or its only one. */
final class AdvertiseAddress {

    private AdvertiseAddress() {
    }

    /** {@code requested} checked to be an address of this node, or when empty the one this node has. */
    static String choose(String requested) {
        return requested.isEmpty() ? defaultAddr() : checkLocal(requested);
    }

    private static String checkLocal(String addr) {
        try {
            InetAddress a = InetAddress.getByName(addr);
            if (NetworkInterface.getByInetAddress(a) == null) {
                throw Errors.invalid("advertise address must be a non-zero IP address or network interface: "
                        + addr + " is not an address of this node");
            }
            return a.getHostAddress();
        } catch (IOException e) {
            throw Errors.invalid("invalid advertise address " + addr + ": " + e.getMessage());
        }
    }

    private static String defaultAddr() {
        try {
            List<String> addrs = NetworkInterface.networkInterfaces()
                    .filter(AdvertiseAddress::isUp)
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                    .map(InetAddress::getHostAddress)
                    .distinct()
                    .toList();
            if (addrs.size() == 1) {
                return addrs.get(0);
            }
            throw Errors.invalid("could not choose an IP address to advertise since this system has "
                    + (addrs.isEmpty() ? "no usable address" : "multiple addresses " + addrs)
                    + " - specify one with --advertise-addr");
        } catch (SocketException e) {
            throw Errors.internal("cannot list network interfaces: " + e.getMessage());
        }
    }

    /** Flotilla's own links ({@code fl*}) are never advertised. */
    private static boolean isUp(NetworkInterface i) {
        try {
            return i.isUp() && !i.isLoopback() && !i.getName().startsWith("fl");
        } catch (SocketException e) {
            return false;
        }
    }
}
