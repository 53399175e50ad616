package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a SIGKILL cannot show (the page cache survives it; a power cut does not): every state file
 * the daemon replaces by rename has its bytes on disk before the rename and its new name on disk
 * after it. Watched with strace on a real daemon while it imports an image and starts and stops
 * tasks: each rename under the data root of a {@code .tmp} file (not a symbolic link, which has no
 * bytes of its own) follows an fsync of that file, and each rename is followed by an fsync of the
 * directory it renamed into.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DurableStateFilesIT {
    /** One strace line: thread id, call, arguments (up to the end or to where it was interrupted). */
    private static final Pattern CALL = Pattern.compile("^(\\d+)\\s+(rename|renameat|renameat2|fsync|fdatasync)\\((.*)$");
    /** The rest of an interrupted call: {@code 123 <... fsync resumed>) = 0}. */
    private static final Pattern RESUMED = Pattern.compile("^(\\d+)\\s+<\\.\\.\\. (\\w+) resumed>(.*)$");
    private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern FD_PATH = Pattern.compile("^\\d+<([^>]*)>");

    private record Call(int line, String tid, String name, String args) {
    }

    @Test
    void everyRenamedStateFileIsSyncedBeforeAndItsDirectoryAfter() throws Exception {
        try (TestCluster cluster = TestCluster.startSwarm(getClass().getSimpleName(), 1, "1s")) {
            TestNode node = cluster.node(1);
            Path trace = node.dir().resolve("strace.out");
            Path straceErr = node.dir().resolve("strace.err");
            Process strace = new ProcessBuilder("strace", "-f", "-y", "-s", "4096", "-e", "trace=rename,renameat,renameat2,fsync,fdatasync",
                    "-o", trace.toString(), "-p", Long.toString(node.daemonPid()))
                    .redirectErrorStream(true).redirectOutput(straceErr.toFile()).start();
            try {
                Poll.until(Duration.ofSeconds(30), TestNode.POLL_INTERVAL, () -> read(straceErr).contains("attached"),
                        () -> "strace to attach to the daemon: " + read(straceErr));
                node.ok("image", "import", "synced:1", node.webroot().toString());
                node.ok("service", "create", "--name", "synced", "--replicas", "2", "web");
                node.ok("service", "scale", "synced=1");
            } finally {
                strace.destroy();
                if (!strace.waitFor(30, TimeUnit.SECONDS)) {
                    strace.destroyForcibly();
                }
            }

            String dataRoot = node.dataRoot().toString() + "/";
            List<Call> calls = parse(Files.readAllLines(trace, StandardCharsets.UTF_8));
            List<String> renamed = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (Call c : calls) {
                if (!c.name().startsWith("rename")) {
                    continue;
                }
                List<String> paths = quoted(c.args());
                if (paths.size() < 2 || !paths.get(1).startsWith(dataRoot) || !c.args().contains(") = 0")) {
                    continue; // not ours, or it failed (a failed rename changes nothing)
                }
                String from = paths.get(0);
                String to = paths.get(1);
                renamed.add(to.substring(dataRoot.length()));
                if (from.endsWith(".tmp") && !Files.isSymbolicLink(Path.of(to)) && !synced(calls, c, from, true)) {
                    problems.add("line " + c.line() + ": " + from + " renamed to " + to + " without an fsync of its bytes first");
                }
                String dir = Path.of(to).getParent().toString();
                if (!synced(calls, c, dir, false)) {
                    problems.add("line " + c.line() + ": renamed into " + dir + " without an fsync of the directory after");
                }
            }
            assertThat(renamed).as("state files replaced by rename while strace watched").hasSizeGreaterThanOrEqualTo(3)
                    .anyMatch(n -> n.endsWith(".json"));
            assertThat(problems).as("renamed state files: " + renamed).isEmpty();
        }
    }

    /**
     * Whether {@code path} was fsynced before (or after) the rename, by any thread or child of the
     * daemon: runc renames its pid file into place, and the daemon syncs it once runc has.
     */
    private static boolean synced(List<Call> calls, Call rename, String path, boolean before) {
        for (Call c : calls) {
            boolean inWindow = before ? c.line() < rename.line() : c.line() > rename.line();
            if (inWindow && c.name().contains("sync")) {
                Matcher m = FD_PATH.matcher(c.args());
                if (m.find() && m.group(1).equals(path)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The calls, an interrupted call's arguments joined with its resumption's result. */
    private static List<Call> parse(List<String> lines) {
        List<Call> out = new ArrayList<>();
        Map<String, Integer> unfinished = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher resumed = RESUMED.matcher(lines.get(i));
            if (resumed.matches()) {
                Integer at = unfinished.remove(resumed.group(1) + resumed.group(2));
                if (at != null) {
                    Call started = out.get(at);
                    out.set(at, new Call(started.line(), started.tid(), started.name(),
                            started.args().replace("<unfinished ...>", "") + resumed.group(3)));
                }
                continue;
            }
            Matcher m = CALL.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            if (m.group(3).endsWith("<unfinished ...>")) {
                unfinished.put(m.group(1) + m.group(2), out.size());
            }
            out.add(new Call(i, m.group(1), m.group(2), m.group(3)));
        }
        return out;
    }

    private static List<String> quoted(String args) {
        List<String> out = new ArrayList<>();
        Matcher m = QUOTED.matcher(args);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
