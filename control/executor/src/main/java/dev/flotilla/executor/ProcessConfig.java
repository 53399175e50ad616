package dev.flotilla.executor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The process a container runs: the spec merged over the image config, with Docker's defaults. */
record ProcessConfig(List<String> args, List<String> env, String cwd) {

    /** Docker's default PATH, used when neither the image nor the task sets one. */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    static ProcessConfig of(ContainerSpec spec, Image image) {
        ImageConfig config = image.config();
        // Docker's rule: the image's ENTRYPOINT, then the task's arguments or else the image's CMD.
        List<String> args = new ArrayList<>(config.entrypoint());
        args.addAll(spec.args().isEmpty() ? config.cmd() : spec.args());
        if (args.isEmpty()) {
            throw new IllegalArgumentException("no command for container " + spec.name() + ": the task gives none and image "
                    + image.reference() + " has no default (give args, or import the image with a command)");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", DEFAULT_PATH);
        env.put("HOSTNAME", spec.hostname());
        putAll(env, config.env());
        putAll(env, spec.env());
        List<String> entries = new ArrayList<>(env.size());
        env.forEach((key, value) -> entries.add(key + "=" + value));
        String cwd = config.workingDir() == null ? "/" : config.workingDir();
        return new ProcessConfig(List.copyOf(args), List.copyOf(entries), cwd);
    }

    private static void putAll(Map<String, String> env, List<String> entries) {
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
    }
}
