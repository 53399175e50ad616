package dev.flotilla.executor;

/** A volume a container of this node still mounts: {@code remove NAME: volume is in use - [ID]}. */
public final class VolumeInUseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    VolumeInUseException(String message) {
        super(message);
    }
}
