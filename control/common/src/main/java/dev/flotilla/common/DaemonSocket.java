package dev.flotilla.common;

/** Where the daemon listens for the local CLI unless told otherwise (its {@code --host}, the CLI's {@code -H}). */
public final class DaemonSocket {

    public static final String DEFAULT_HOST = "unix:///run/flotilla/flotilla.sock";

    private DaemonSocket() {
    }
}
