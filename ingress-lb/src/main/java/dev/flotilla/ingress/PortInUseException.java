package dev.flotilla.ingress;

import java.net.BindException;

/** A published port could not be bound because something on this node already holds it. */
public final class PortInUseException extends BindException {

    private static final long serialVersionUID = 1L;

    private final int port;
    private final Protocol protocol;

    public PortInUseException(int port, Protocol protocol, Throwable cause) {
        super("port " + port + "/" + protocol + " is already in use on this node");
        this.port = port;
        this.protocol = protocol;
        initCause(cause);
    }

    public int port() {
        return port;
    }

    public Protocol protocol() {
        return protocol;
    }
}
