package dev.flotilla.executor;

/** The image a task asks for is not in this node's image store. The message reads {@code No such image: NAME:TAG}. */
public final class NoSuchImageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String reference;

    /** @param reference the normalized reference, {@code NAME:TAG} */
    public NoSuchImageException(String reference) {
        super("No such image: " + reference);
        this.reference = reference;
    }

    public String reference() {
        return reference;
    }
}
