package dev.flotilla.common;

/** Flotilla's version: what {@code --version} prints, and ENGINE VERSION in {@code node ls}. */
public final class Version {

    /** A compile-time constant, so picocli's {@code @Command(version = ...)} can use it. */
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
