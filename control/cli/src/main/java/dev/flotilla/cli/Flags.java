package dev.flotilla.cli;

/** Flag values in Docker's syntax. */
public final class Flags {

    private Flags() {
    }

    /** A replica count given with {@code --replicas}: a non-negative integer, as Docker's uint64 flag. */
    static long replicas(String text) {
        return replicas(text, "invalid argument \"" + text + "\" for \"--replicas\" flag");
    }

    /** A replica count; {@code what} starts the error message. */
    static long replicas(String text, String what) {
        try {
            long n = Long.parseLong(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the flag's name
        }
        throw new IllegalArgumentException(what + ": replicas must be a non-negative integer");
    }

    /** A uint64 flag, refused in Go's words ({@code strconv.ParseUint: parsing "-1": invalid syntax}). */
    static long unsigned(String text, String flag) {
        try {
            long n = Long.parseLong(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid argument \"" + text + "\" for \"" + flag
                + "\" flag: strconv.ParseUint: parsing \"" + text + "\": invalid syntax");
    }
}
