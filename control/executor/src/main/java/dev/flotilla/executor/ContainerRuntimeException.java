package dev.flotilla.executor;

/** A container could not be created, started or stopped; the message says which and why. */
public class ContainerRuntimeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ContainerRuntimeException(String message) {
        super(message);
    }

    public ContainerRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
