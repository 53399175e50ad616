package dev.flotilla.control.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Flag values in Docker's syntax. */
public final class Flags {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

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

    /** Go's duration syntax, a sequence such as {@code 1m30s} or {@code 500ms}. */
    public static Duration duration(String text, String flag) {
        Matcher m = DURATION.matcher(text);
        long nanos = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double value = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos += (long) (value * unit);
            end = m.end();
        }
        if (end == 0 || end != text.length()) {
            throw new IllegalArgumentException("invalid argument \"" + text + "\" for \"" + flag
                    + "\" flag: time: invalid duration \"" + text + "\"");
        }
        return Duration.ofNanos(nanos);
    }
}
