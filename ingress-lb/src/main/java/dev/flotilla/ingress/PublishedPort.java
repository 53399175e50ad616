package dev.flotilla.ingress;

import java.net.InetSocketAddress;

/** A listener the routing mesh holds on this node for one published port. */
public interface PublishedPort extends AutoCloseable {

    /** The published port (the one actually bound when 0 was asked for). */
    int port();

    Protocol protocol();

    InetSocketAddress localAddress();

    /** The pool new connections or flows are sent to; the control plane updates it in place. */
    BackendPool pool();

    ProxyCounters counters();

    /**
     * Unbinds the port and closes every connection or flow it proxies; idempotent. Waits until the
     * port is free unless called from an event loop.
     */
    @Override
    void close();
}
