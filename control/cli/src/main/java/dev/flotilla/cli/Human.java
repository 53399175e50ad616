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
}
