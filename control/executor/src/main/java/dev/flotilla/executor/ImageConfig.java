package dev.flotilla.executor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What an image says about how to run it, like the {@code Config} of a Docker image.
 *
 * @param cmd the default arguments when a task gives none; empty if none
 * @param env {@code KEY=VALUE} entries a task's own env is merged over
 * @param workingDir the working directory, or {@code null} for {@code /}
 * @param healthcheck the image's HEALTHCHECK, or {@code null} for none
 * @param entrypoint what runs with those arguments ({@code ENTRYPOINT}); empty if the arguments are the command
 */
public record ImageConfig(List<String> cmd, List<String> env, String workingDir, Healthcheck healthcheck,
        List<String> entrypoint) {

    /** An image that says nothing: tasks must give their own command. */
    public static final ImageConfig EMPTY = new ImageConfig(List.of(), List.of(), null, null);

    /**
     * Docker's image {@code Healthcheck}: {@code test} as {@code ["CMD", arg...]},
     * {@code ["CMD-SHELL", command]} or {@code ["NONE"]}; 0 for a duration or the retries is the default.
     */
    public record Healthcheck(List<String> test, long intervalMs, long timeoutMs, long startPeriodMs, int retries) {
        public Healthcheck {
            test = test == null ? List.of() : List.copyOf(test);
        }
    }

    /** An image without a HEALTHCHECK or ENTRYPOINT. */
    public ImageConfig(List<String> cmd, List<String> env, String workingDir) {
        this(cmd, env, workingDir, null);
    }

    /** An image without an ENTRYPOINT. */
    public ImageConfig(List<String> cmd, List<String> env, String workingDir, Healthcheck healthcheck) {
        this(cmd, env, workingDir, healthcheck, List.of());
    }

    public ImageConfig {
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        env = env == null ? List.of() : List.copyOf(env);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        if (workingDir != null && workingDir.isEmpty()) {
            workingDir = null;
        }
        if (workingDir != null && !workingDir.startsWith("/")) {
            throw new IllegalArgumentException("image working directory must be absolute, got \"" + workingDir + "\"");
        }
    }

    /**
     * The {@code config} object of an OCI (or Docker) image configuration: Entrypoint, Cmd, Env,
     * WorkingDir and Docker's Healthcheck (durations in nanoseconds).
     */
    static ImageConfig fromOci(JsonNode config) {
        JsonNode h = config.path("Healthcheck");
        Healthcheck check = h.isObject() ? new Healthcheck(strings(h.path("Test")),
                h.path("Interval").asLong() / 1_000_000, h.path("Timeout").asLong() / 1_000_000,
                h.path("StartPeriod").asLong() / 1_000_000, h.path("Retries").asInt()) : null;
        String dir = config.path("WorkingDir").asText("");
        return new ImageConfig(strings(config.path("Cmd")), strings(config.path("Env")), dir.isEmpty() ? null : dir,
                check, strings(config.path("Entrypoint")));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
