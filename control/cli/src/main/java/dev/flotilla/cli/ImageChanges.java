package dev.flotilla.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.api.v1.ImportImageRequest;
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
            default -> throw new IllegalArgumentException("unsupported --change instruction \"" + instruction
                    + "\": only CMD and ENV are supported");
        }
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
