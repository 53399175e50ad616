package dev.flotilla.executor;

/** A registry refused or could not give an image; the message is its reason, prefixed by the reference. */
public final class RegistryException extends RuntimeException {

    private final String reason;

    public RegistryException(ImageReference ref, String reason) {
        this(ref.toString(), reason);
    }

    /** @param subject the image reference or registry the refusal is about */
    public RegistryException(String subject, String reason) {
        super(subject + ": " + reason);
        this.reason = reason;
    }

    /** What the registry (or the way to it) said: {@code manifest unknown}, {@code unauthorized: ...}. */
    public String reason() {
        return reason;
    }
}
