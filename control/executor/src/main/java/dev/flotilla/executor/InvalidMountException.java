package dev.flotilla.executor;

/**
 * A mount this node cannot make, with Docker's message, e.g. {@code invalid mount config for type
 * "bind": bind source path does not exist: /srv/data}. The task is rejected here.
 */
public final class InvalidMountException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String missingBindSource;

    private InvalidMountException(String message, String missingBindSource) {
        super(message);
        this.missingBindSource = missingBindSource;
    }

    /** A bind mount whose source path does not exist on this node. */
    static InvalidMountException missingBindSource(String source) {
        return new InvalidMountException("invalid mount config for type \"bind\": bind source path does not exist: "
                + source, source);
    }

    /** A volume driver this node does not have (only {@code local}). */
    static InvalidMountException unknownDriver(String driver) {
        return new InvalidMountException("error looking up volume plugin " + driver + ": plugin \"" + driver
                + "\" not found", "");
    }

    /** The bind source that does not exist on this node; empty if that is not the reason. */
    public String missingBindSource() {
        return missingBindSource;
    }
}
