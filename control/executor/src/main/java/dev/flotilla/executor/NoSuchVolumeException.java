package dev.flotilla.executor;

/** A volume this node does not have, in Docker's words: {@code get NAME: no such volume}. */
public final class NoSuchVolumeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NoSuchVolumeException(String name) {
        super("get " + name + ": no such volume");
    }
}
