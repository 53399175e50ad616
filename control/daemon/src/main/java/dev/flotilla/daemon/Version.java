package dev.flotilla.daemon;

/** Flotilla's version, as `node ls` shows it in ENGINE VERSION. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
