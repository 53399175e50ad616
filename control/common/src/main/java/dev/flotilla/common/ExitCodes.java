package dev.flotilla.common;

/** Exit statuses of the {@code flotilla} commands, Docker's where Docker has one. */
public final class ExitCodes {

    /** Docker's status for a command line it could not use (bad flag, bad value). */
    public static final int USAGE = 125;

    private ExitCodes() {
    }
}
