package dev.flotilla.executor;

import java.util.List;

/**
 * What an image says about how to run it, like the {@code Config} of a Docker image.
 *
 * @param cmd the default command when a task gives no args; empty if none
 * @param env {@code KEY=VALUE} entries a task's own env is merged over
 * @param workingDir the working directory, or {@code null} for {@code /}
 * @param healthcheck the image's HEALTHCHECK, or {@code null} for none
 */
public record ImageConfig(List<String> cmd, List<String> env, String workingDir, Healthcheck healthcheck) {

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

    /** An image without a HEALTHCHECK. */
    public ImageConfig(List<String> cmd, List<String> env, String workingDir) {
        this(cmd, env, workingDir, null);
    }

    public ImageConfig {
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        env = env == null ? List.of() : List.copyOf(env);
        if (workingDir != null && !workingDir.startsWith("/")) {
            throw new IllegalArgumentException("image working directory must be absolute, got \"" + workingDir + "\"");
        }
    }
}
