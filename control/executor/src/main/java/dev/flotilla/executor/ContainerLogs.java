package dev.flotilla.executor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The stdout and stderr of this node's containers, kept after the container is gone (as long as its
 * task's history row is): each stream in its own directory, written by daemontools' {@code multilog}
 * in the container's shim, which stamps every line with a TAI64N time and rotates the files
 * ({@value #FILE_BYTES} bytes each, {@value #OLD_FILES} old ones kept), so a chatty task never
 * fills the disk. A directory holds {@code @<tai64n>.s} files (rotated, named by when) and
 * {@code current}; every line reads {@code @<24 hex digits> <text>}.
 */
public final class ContainerLogs {

    /** The size at which multilog starts a new file, and how many old files it keeps, per stream. */
    static final int FILE_BYTES = 1_048_576;
    static final int OLD_FILES = 4;
    /** TAI64 labels count from 2^62, and TAI was 10 s ahead of UTC at the Unix epoch. */
    private static final long TAI64_EPOCH = (1L << 62) + 10;
    private static final Pattern CONTAINER_ID = Pattern.compile("[0-9a-f]{64}");

    /** One line of a container's output, without its newline. */
    public record Line(long timeNanos, boolean stderr, byte[] text) {
        public Line {
            Objects.requireNonNull(text, "text");
        }
    }

    private final Path root;

    public ContainerLogs(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The directory of {@code containerId}'s two streams. */
    public Path dir(String containerId) {
        return root.resolve(Container.requireValidId(containerId));
    }

    Path streamDir(String containerId, boolean stderr) {
        return dir(containerId).resolve(stderr ? "stderr" : "stdout");
    }

    /** Makes the container's log directory (root-only); multilog makes the stream directories in it. */
    void prepare(String containerId) throws IOException {
        Files.createDirectories(root);
        Path dir = dir(containerId);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * The container's lines at or after {@code sinceNanos} (0: all), both streams merged in time
     * order, only the last {@code tail} of them when {@code tail >= 0}. Empty when it has none.
     */
    public List<Line> read(String containerId, long sinceNanos, int tail) {
        List<Line> all = new ArrayList<>();
        all.addAll(readStream(containerId, false, sinceNanos));
        all.addAll(readStream(containerId, true, sinceNanos));
        all.sort(Comparator.comparingLong(Line::timeNanos));
        return tail >= 0 && all.size() > tail ? List.copyOf(all.subList(all.size() - tail, all.size())) : all;
    }

    /** Whether the container ever had logs here. */
    public boolean exists(String containerId) {
        return Files.isDirectory(dir(containerId));
    }

    private List<Line> readStream(String containerId, boolean stderr, long sinceNanos) {
        List<Line> lines = new ArrayList<>();
        for (Path file : files(streamDir(containerId, stderr))) {
            try {
                parse(Files.readAllBytes(file), stderr, sinceNanos, lines, false);
            } catch (NoSuchFileException e) {
                // Rotated away (the oldest one) while we listed: its lines are older than we keep.
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return lines;
    }

    /** A stream's files, oldest first: the rotated ones by name (their time), then {@code current}. */
    private static List<Path> files(Path streamDir) {
        List<Path> rotated = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(streamDir, "@*.s")) {
            files.forEach(rotated::add);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + streamDir + ": " + e.getMessage(), e);
        }
        rotated.sort(Comparator.comparing(p -> p.getFileName().toString()));
        rotated.add(streamDir.resolve("current"));
        return rotated;
    }

    /**
     * Appends the complete lines of {@code bytes} to {@code out} and returns how many bytes they
     * took; a last line without its newline is left for the next read when {@code partial}.
     */
    static int parse(byte[] bytes, boolean stderr, long sinceNanos, List<Line> out, boolean partial) {
        int start = 0;
        while (start < bytes.length) {
            int nl = indexOf(bytes, (byte) '\n', start);
            if (nl < 0) {
                if (partial) {
                    return start;
                }
                nl = bytes.length;
            }
            Line line = line(bytes, start, nl, stderr);
            if (line != null && line.timeNanos() >= sinceNanos) {
                out.add(line);
            }
            start = nl + 1;
        }
        return bytes.length;
    }

    /** One {@code @<tai64n> text} line, or null if it is not one (a torn write after a crash). */
    private static Line line(byte[] b, int from, int to, boolean stderr) {
        if (to - from < 26 || b[from] != '@' || b[from + 25] != ' ') {
            return null;
        }
        try {
            long label = Long.parseUnsignedLong(new String(b, from + 1, 16, java.nio.charset.StandardCharsets.US_ASCII), 16);
            long nanos = Long.parseLong(new String(b, from + 17, 8, java.nio.charset.StandardCharsets.US_ASCII), 16);
            long unixSeconds = label - TAI64_EPOCH;
            return new Line(unixSeconds * 1_000_000_000L + nanos, stderr, Arrays.copyOfRange(b, from + 26, to));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int indexOf(byte[] b, byte value, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Follows one container's streams, as {@code tail -F} does: each {@link Follower#poll} returns
     * the complete lines written since the last, in time order, also across a rotation. From now
     * on, or with {@code fromStart} everything kept first (one read of both, no line twice).
     */
    public Follower follow(String containerId, boolean fromStart) {
        return new Follower(streamDir(containerId, false), streamDir(containerId, true), fromStart);
    }

    /** {@link #follow(String, boolean)} from now on. */
    public Follower follow(String containerId) {
        return follow(containerId, false);
    }

    /** The new lines of a container's two streams; not thread-safe (one reader each). */
    public static final class Follower {
        private final StreamCursor out;
        private final StreamCursor err;

        Follower(Path stdout, Path stderr, boolean fromStart) {
            this.out = new StreamCursor(stdout, false, fromStart);
            this.err = new StreamCursor(stderr, true, fromStart);
        }

        public List<Line> poll() {
            List<Line> lines = new ArrayList<>(out.poll());
            lines.addAll(err.poll());
            lines.sort(Comparator.comparingLong(Line::timeNanos));
            return lines;
        }
    }

    /** Where a reader is in a stream's {@code current}: its inode and offset; starts at its end. */
    private static final class StreamCursor {
        private final Path dir;
        private final boolean stderr;
        private Object fileKey;
        private long offset;
        /** Whether the rotated files are still to be read (a cursor from the start). */
        private boolean rotatedPending;

        StreamCursor(Path dir, boolean stderr, boolean fromStart) {
            this.dir = dir;
            this.stderr = stderr;
            this.rotatedPending = fromStart;
            BasicFileAttributes a = fromStart ? null : attributes(dir.resolve("current"));
            if (a != null) {
                fileKey = a.fileKey();
                offset = a.size();
            }
        }

        List<Line> poll() {
            List<Line> lines = new ArrayList<>();
            if (rotatedPending) {
                rotatedPending = false;
                for (Path p : files(dir)) {
                    if (!p.getFileName().toString().equals("current")) {
                        try {
                            parse(Files.readAllBytes(p), stderr, 0, lines, false);
                        } catch (IOException e) {
                            // Rotated away since the listing: older than what is kept.
                        }
                    }
                }
            }
            BasicFileAttributes now = attributes(dir.resolve("current"));
            if (now == null) {
                return lines;
            }
            if (fileKey != null && !fileKey.equals(now.fileKey())) {
                // multilog renamed the file we read into an @....s: finish it there, then start the new one.
                files(dir).stream().filter(p -> !p.getFileName().toString().equals("current"))
                        .filter(p -> {
                            BasicFileAttributes a = attributes(p);
                            return a != null && fileKey.equals(a.fileKey());
                        })
                        .findFirst().ifPresent(p -> readFrom(p, lines));
                offset = 0;
            }
            fileKey = now.fileKey();
            offset += readFrom(dir.resolve("current"), lines);
            return lines;
        }

        /** Reads the complete lines of {@code file} after {@link #offset}; returns the bytes consumed. */
        private int readFrom(Path file, List<Line> lines) {
            try (var ch = java.nio.channels.FileChannel.open(file)) {
                long size = ch.size();
                if (size <= offset) {
                    return 0;
                }
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.min(size - offset, 8L << 20));
                ch.read(buf, offset);
                return parse(Arrays.copyOf(buf.array(), buf.position()), stderr, 0, lines, true);
            } catch (NoSuchFileException e) {
                return 0;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        private static BasicFileAttributes attributes(Path p) {
            try {
                return Files.readAttributes(p, BasicFileAttributes.class);
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** Deletes the logs of {@code containerId}; fine if there are none. */
    public void remove(String containerId) {
        try {
            FileTrees.deleteRecursively(dir(containerId));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the logs of " + containerId + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the logs of every container not in {@code keep}: those of tasks the store forgot. */
    public void retain(Set<String> keep) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root,
                d -> CONTAINER_ID.matcher(d.getFileName().toString()).matches())) {
            for (Path d : dirs) {
                if (!keep.contains(d.getFileName().toString())) {
                    FileTrees.deleteRecursively(d);
                }
            }
        } catch (NoSuchFileException e) {
            // No logs yet.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up the logs in " + root + ": " + e.getMessage(), e);
        }
    }
}
