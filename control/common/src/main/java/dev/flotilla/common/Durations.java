package dev.flotilla.common;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations in Go's syntax, as Docker's flags take them. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private Durations() {
    }

    /** Go's duration syntax, a sequence such as {@code 1m30s} or {@code 500ms}. */
    public static Duration parse(String text, String flag) {
        // Go takes a sign, so a negative value reaches the check that names it ("cannot be negative").
        boolean negative = text.startsWith("-");
        if (text.substring(negative || text.startsWith("+") ? 1 : 0).equals("0")) {
            return Duration.ZERO; // Go's one unit-less duration
        }
        Matcher m = DURATION.matcher(text);
        long nanos = 0;
        int end = negative || text.startsWith("+") ? 1 : 0;
        int start = end;
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
        if (end == start || end != text.length()) {
            throw new IllegalArgumentException("invalid argument \"" + text + "\" for \"" + flag
                    + "\" flag: time: invalid duration \"" + text + "\"");
        }
        return Duration.ofNanos(negative ? -nanos : nanos);
    }
}
