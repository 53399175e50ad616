package dev.flotilla.ingress;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One place a published port or VIP may send a connection or flow to: a task's address on the
 * ingress (or service) network and the target port.
 *
 * @param id      who this backend is, for logs (a task id)
 * @param address resolved address and port to connect to
 */
public record Backend(String id, InetSocketAddress address) {

    public Backend {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("backend " + id + " has an unresolved address: " + address);
        }
    }

    @Override
    public String toString() {
        return id + "@" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
