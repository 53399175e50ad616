package dev.flotilla.executor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Mount points as {@code /proc/self/mountinfo} lists them. */
final class Mounts {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Mounts.class);

    private Mounts() {
    }

    /** Mount points at or below {@code dir} (absolute, normalized). */
    static List<Path> under(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        List<Path> found = new ArrayList<>();
        for (Path mountPoint : all()) {
            if (mountPoint.startsWith(root)) {
                found.add(mountPoint);
            }
        }
        return found;
    }

    /**
     * Unmounts {@code dir} if it is a mount point; when it is busy (a process still has its cwd or
     * a file there) it is detached now and the kernel frees it when the last user leaves.
     */
    static void unmount(Path dir, java.time.Duration timeout) {
        if (!isMountPoint(dir)) {
            return;
        }
        Commands.Result result = Commands.run(timeout, List.of("umount", dir.toString()));
        if (!result.succeeded()) {
            LOG.warn("Cannot unmount {} ({}); detaching it lazily", dir, result.output().strip());
            Commands.run(timeout, List.of("umount", "-l", dir.toString())).orThrow();
        }
    }

    static boolean isMountPoint(Path dir) {
        return all().contains(dir.toAbsolutePath().normalize());
    }

    private static List<Path> all() {
        List<String> lines;
        try {
            lines = Files.readAllLines(MOUNTINFO);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MOUNTINFO, e);
        }
        List<Path> mountPoints = new ArrayList<>(lines.size());
        for (String line : lines) {
            // id parent major:minor root mount-point options ...
            String[] fields = line.split(" ", 6);
            if (fields.length >= 5) {
                mountPoints.add(Path.of(unescape(fields[4])));
            }
        }
        return mountPoints;
    }

    /** The kernel writes space, tab, newline and backslash in mount points as {@code \ooo} octal escapes. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
