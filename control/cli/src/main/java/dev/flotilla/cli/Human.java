package dev.flotilla.cli;

import dev.flotilla.api.v1.TaskState;
import java.time.Duration;

/**
 * Words as Docker prints them: durations ("22 seconds", "About a minute", after go-units'
 * HumanDuration) and task states ("Running", "Shutdown").
 */
final class Human {

    private Human() {
    }

    /** Docker's word for a state in `service ps`: "Running", "Shutdown", "Failed", ... */
    static String state(TaskState state) {
        String name = state.name().toLowerCase(java.util.Locale.ROOT);
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    static String duration(Duration d) {
        long seconds = d.getSeconds();
        if (seconds < 1) {
            return "Less than a second";
        } else if (seconds == 1) {
            return "1 second";
        } else if (seconds < 60) {
            return seconds + " seconds";
        }
        long minutes = d.toMinutes();
        if (minutes == 1) {
            return "About a minute";
        } else if (minutes < 60) {
            return minutes + " minutes";
        }
        long hours = Math.round(d.toMinutes() / 60.0);
        if (hours == 1) {
            return "About an hour";
        } else if (hours < 48) {
            return hours + " hours";
        } else if (hours < 24 * 7 * 2) {
            return hours / 24 + " days";
        } else if (hours < 24 * 30 * 2) {
            return hours / 24 / 7 + " weeks";
        } else if (hours < 24 * 365 * 2) {
            return hours / 24 / 30 + " months";
        }
        return hours / 24 / 365 + " years";
    }

    static String ago(long thenMs, long nowMs) {
        return duration(Duration.ofMillis(Math.max(0, nowMs - thenMs))) + " ago";
    }

    /** Go's {@code time.Duration.String()} of whole milliseconds: "0s", "500ms", "5s", "1.5s", "1m30s", "1h0m0s". */
    static String goDuration(long ms) {
        if (ms == 0) {
            return "0s";
        }
        String sign = ms < 0 ? "-" : "";
        long abs = Math.abs(ms);
        if (abs < 1000) {
            return sign + abs + "ms";
        }
        long hours = abs / 3_600_000;
        long minutes = abs / 60_000 % 60;
        long millis = abs % 60_000;
        String seconds = millis % 1000 == 0 ? String.valueOf(millis / 1000)
                : java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
        if (hours > 0) {
            return sign + hours + "h" + minutes + "m" + seconds + "s";
        }
        return sign + (minutes > 0 ? minutes + "m" : "") + seconds + "s";
    }

    /** Go's {@code %g} of a ratio: "0", "0.25", "1". */
    static String ratio(float r) {
        return new java.math.BigDecimal(Float.toString(r)).stripTrailingZeros().toPlainString();
    }
}
