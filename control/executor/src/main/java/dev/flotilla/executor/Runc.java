package dev.flotilla.executor;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code runc} command line. */
final class Runc {

    /** runc answers these in milliseconds; a longer wait means it is stuck on a frozen cgroup or a dead mount. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String binary;
    private final Path root;

    /** @param root runc's state directory ({@code --root}); {@code null} for runc's default */
    Runc(String binary, Path root) {
        this.binary = binary;
        this.root = root;
    }

    /** runc's view of a container. */
    record State(String status, long pid) {
    }

    /** {@code runc [--root R] args...} */
    List<String> argv(List<String> args) {
        List<String> argv = new ArrayList<>(args.size() + 3);
        argv.add(binary);
        if (root != null) {
            argv.add("--root");
            argv.add(root.toString());
        }
        argv.addAll(args);
        return argv;
    }

    /** The container's state, or empty if runc does not know it (never run, or ended and deleted). */
    Optional<State> state(String id) {
        Commands.Result result = Commands.run(TIMEOUT, argv(List.of("state", id)));
        if (!result.succeeded()) {
            if (isMissing(result.output())) {
                return Optional.empty();
            }
            result.orThrow();
        }
        try {
            JsonNode state = Json.MAPPER.readTree(result.stdout());
            return Optional.of(new State(state.path("status").asText(), state.path("pid").asLong()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse `runc state " + id + "`: " + result.output(), e);
        }
    }

    /**
     * Sends {@code signal} to the container's init process.
     *
     * @return false if the container is not running (or runc does not know it)
     */
    boolean kill(String id, String signal) {
        Commands.Result result = Commands.run(TIMEOUT, argv(List.of("kill", id, signal)));
        if (result.succeeded()) {
            return true;
        }
        if (isMissing(result.output()) || result.output().contains("not running")) {
            return false;
        }
        result.orThrow();
        return true;
    }

    /** Kills and deletes the container; fine if runc does not know it. */
    void deleteForce(String id) {
        Commands.Result result = Commands.run(TIMEOUT, argv(List.of("delete", "--force", id)));
        if (!result.succeeded() && !isMissing(result.output())) {
            result.orThrow();
        }
    }

    private static boolean isMissing(String output) {
        return output.contains("does not exist");
    }
}
