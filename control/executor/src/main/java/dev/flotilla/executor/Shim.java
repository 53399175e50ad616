package dev.flotilla.executor;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The process that keeps a container's exit code and output: {@code runc run} in the foreground, in its own
 * session (so the daemon's death or a terminal's signals do not reach it), its stdout and stderr each piped to
 * a {@code multilog} (see {@link ContainerLogs}), then, once both wrote their last line, runc's exit status
 * written to {@code <bundle>/exit}. runc run exits with the container's code, or 128 + signal when it was killed.
 */
final class Shim {

    /**
     * $1 is the bundle, $2 and $3 the stdout and stderr log directories, $4 and $5 multilog's size
     * and file-count actions, the rest runc's argv: nothing is interpolated into the script. Each
     * multilog gets only its own pipe (fds 3 and 4 closed around it). The exit code is written as
     * every state file is (see DurableFiles): its bytes synced, renamed into place, the directory
     * synced; coreutils' {@code sync FILE} is fsync(2) of that file.
     */
    static final String SCRIPT = "b=$1; o=$2; e=$3; s=$4; n=$5; shift 5;"
            + " exec 3> >(exec multilog t \"$s\" \"$n\" \"$o\"); p=$!; exec 4> >(exec multilog t \"$s\" \"$n\" \"$e\" 3>&-); q=$!;"
            + " \"$@\" </dev/null >&3 2>&4 3>&- 4>&-; rc=$?; exec 3>&- 4>&-; wait $p $q;"
            + " echo $rc >\"$b/exit.tmp\" && sync \"$b/exit.tmp\" && mv -f \"$b/exit.tmp\" \"$b/exit\" && sync \"$b\"";

    private Shim() {
    }

    /** Starts the shim and records its pid in the bundle. */
    static ProcessHandle launch(Bundle bundle, Path stdoutDir, Path stderrDir, List<String> runcRun) throws IOException {
        List<String> argv = new ArrayList<>();
        // --wait: should setsid have to fork, the pid we record still lives exactly as long as the shell.
        argv.addAll(List.of("setsid", "--wait", "bash", "-c", SCRIPT, "flotilla-shim", bundle.dir().toString(),
                stdoutDir.toString(), stderrDir.toString(), "s" + ContainerLogs.FILE_BYTES, "n" + ContainerLogs.OLD_FILES));
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
