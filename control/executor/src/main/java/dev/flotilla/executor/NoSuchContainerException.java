package dev.flotilla.executor;

/** No container with this id has a bundle on this node. */
public final class NoSuchContainerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NoSuchContainerException(String id) {
        super("No such container: " + id);
    }
}
