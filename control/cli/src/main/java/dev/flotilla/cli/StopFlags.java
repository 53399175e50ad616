package dev.flotilla.cli;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.common.Durations;
import java.util.Locale;

/** {@code --stop-signal} and {@code --stop-grace-period}: how a task is asked to stop before SIGKILL. */
final class StopFlags {

    private StopFlags() {
    }

    /** Applies the flags given (null: unchanged); the manager checks the signal's name. */
    static void apply(ContainerSpec.Builder c, String signal, String grace) {
        if (signal != null) {
            c.setStopSignal(signal.toUpperCase(Locale.ROOT));
        }
        if (grace != null) {
            c.setStopGracePeriodMs(Durations.parse(grace, "--stop-grace-period").toMillis());
        }
    }
}
