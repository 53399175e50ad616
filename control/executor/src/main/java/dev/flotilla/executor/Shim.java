package dev.flotilla.executor;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The process that keeps a container's exit code: {@code runc run} in the foreground, in its own session (so
 * the daemon's death or a terminal's signals do not reach it), followed by writing runc's exit status to
 * {@code <bundle>/exit}. runc run exits with the container's code, or 128 + signal when it was killed.
 */
final class Shim {

    /**
     * $1 is the bundle, the rest runc's argv: nothing is interpolated into the script. The exit
     * code is written as every state file is (see DurableFiles): its bytes synced, renamed into
     * place, the directory synced; coreutils' {@code sync FILE} is fsync(2) of that file.
     */
    static final String SCRIPT = "b=$1; shift; \"$@\" </dev/null >>\"$b/log\" 2>&1;"
            + " echo $? >\"$b/exit.tmp\" && sync \"$b/exit.tmp\" && mv -f \"$b/exit.tmp\" \"$b/exit\" && sync \"$b\"";

    private Shim() {
    }

    /** Starts the shim and records its pid in the bundle. */
    static ProcessHandle launch(Bundle bundle, List<String> runcRun) throws IOException {
        List<String> argv = new ArrayList<>();
        // --wait: should setsid have to fork, the pid we record still lives exactly as long as the shell.
        argv.addAll(List.of("setsid", "--wait", "sh", "-c", SCRIPT, "flotilla-shim", bundle.dir().toString()));
        argv.addAll(runcRun);
        File log = bundle.log().toFile();
        Process process = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .redirectError(ProcessBuilder.Redirect.appendTo(log))
                .start();
        bundle.writeShimPid(process.pid());
        return process.toHandle();
    }

    /**
     * The bundle's shim if it is still alive. A pid alone could have been reused since a daemon restart, so the
     * process must also name this bundle on its command line.
     */
    static Optional<ProcessHandle> find(Bundle bundle) {
        OptionalLong pid = bundle.shimPid();
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        String dir = bundle.dir().toString();
        return ProcessHandle.of(pid.getAsLong())
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().arguments().map(args -> Arrays.asList(args).contains(dir)).orElse(false));
    }
}
