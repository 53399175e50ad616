package dev.flotilla.executor;

/** A registry refused or could not give an image; the message is its reason, prefixed by the reference. */
public final class RegistryException extends RuntimeException {

    private final String reason;

    public RegistryException(ImageReference ref, String reason) {
        super(ref + ": " + reason);
        this.reason = reason;
    }

    /** What the registry (or the way to it) said: {@code manifest unknown}, {@code unauthorized: ...}. */
    public String reason() {
        return reason;
    }
}
