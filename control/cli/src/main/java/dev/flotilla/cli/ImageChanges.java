package dev.flotilla.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.ImportImageRequest;
import dev.flotilla.common.Durations;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/** `image import --change`: the Dockerfile instructions `docker import` accepts that matter here. */
final class ImageChanges {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageChanges() {
    }

    static void apply(String change, ImportImageRequest.Builder request) {
        String text = change.strip();
        int space = text.indexOf(' ');
        String instruction = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
        String value = space < 0 ? "" : text.substring(space + 1).strip();
        switch (instruction) {
            case "CMD" -> {
                request.clearCmd();
                request.addAllCmd(command(value));
            }
            case "ENV" -> {
                if (!value.contains("=") || value.startsWith("=")) {
                    throw new IllegalArgumentException("ENV must be KEY=VALUE: " + change);
                }
                request.addEnv(value);
            }
            case "HEALTHCHECK" -> request.setHealthcheck(healthcheck(value));
            default -> throw new IllegalArgumentException("unsupported --change instruction \"" + instruction
                    + "\": only CMD, ENV and HEALTHCHECK are supported");
        }
    }

    /**
     * The Dockerfile's {@code HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D]
     * [--retries=N] CMD command} (shell form: {@code CMD-SHELL}; exec form: {@code CMD} and the
     * array), or {@code HEALTHCHECK NONE}.
     */
    static HealthConfig healthcheck(String value) {
        HealthConfig.Builder b = HealthConfig.newBuilder();
        String rest = value.strip();
        while (rest.startsWith("--")) {
            int end = rest.indexOf(' ');
            String option = end < 0 ? rest : rest.substring(0, end);
            rest = end < 0 ? "" : rest.substring(end + 1).strip();
            int eq = option.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("HEALTHCHECK option " + option + " needs a value: " + option + "=VALUE");
            }
            String name = option.substring(2, eq);
            String v = option.substring(eq + 1);
            switch (name) {
                case "interval" -> b.setIntervalMs(Durations.parse(v, "--interval").toMillis());
                case "timeout" -> b.setTimeoutMs(Durations.parse(v, "--timeout").toMillis());
                case "start-period" -> b.setStartPeriodMs(Durations.parse(v, "--start-period").toMillis());
                case "retries" -> b.setRetries((int) Flags.unsigned(v, "--retries"));
                default -> throw new IllegalArgumentException("Unknown flag: " + name);
            }
        }
        int space = rest.indexOf(' ');
        String kind = (space < 0 ? rest : rest.substring(0, space)).toUpperCase(Locale.ROOT);
        String command = space < 0 ? "" : rest.substring(space + 1).strip();
        if (kind.equals("NONE") && command.isEmpty()) {
            return b.addTest("NONE").build();
        }
        if (!kind.equals("CMD") || command.isEmpty()) {
            throw new IllegalArgumentException("HEALTHCHECK needs CMD and a command, or NONE: HEALTHCHECK " + value);
        }
        if (command.startsWith("[")) {
            List<String> argv = command(command);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("HEALTHCHECK CMD needs a command");
            }
            return b.addTest("CMD").addAllTest(argv).build();
        }
        return b.addTest("CMD-SHELL").addTest(command).build();
    }

    /** Exec form {@code ["sh", "-c", "..."]} as is; shell form runs under {@code /bin/sh -c}. */
    static List<String> command(String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("CMD needs a command");
        }
        if (value.startsWith("[")) {
            try {
                return JSON.readValue(value, new TypeReference<List<String>>() { });
            } catch (IOException e) {
                throw new IllegalArgumentException("CMD is not a JSON array of strings: " + value);
            }
        }
        return List.of("/bin/sh", "-c", value);
    }
}
