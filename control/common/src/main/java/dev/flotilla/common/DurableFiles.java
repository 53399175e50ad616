package dev.flotilla.common;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;
import java.util.UUID;

/**
 * The one way Flotilla replaces a file on disk: write a temporary file beside it, fsync it,
 * rename it over the old one, fsync the directory. After a crash or a power cut the file is the
 * old one or the new one, whole, never a mix or nothing; the rename is durable once this
 * returns. Temporary files a crash left behind are named {@code .<name>.<random>.tmp} and
 * removed by {@link #removeLeftovers}.
 */
public final class DurableFiles {

    static final String SUFFIX = ".tmp";

    private DurableFiles() {
    }

    /** What goes into the file; the stream is not to be closed by the writer. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Replaces {@code file} with {@code bytes}. */
    public static void write(Path file, byte[] bytes, FileAttribute<?>... attrs) throws IOException {
        write(file, out -> out.write(bytes), attrs);
    }

    /** Replaces {@code file} with what {@code content} writes; {@code attrs} apply to the new file (its mode). */
    public static void write(Path file, Content content, FileAttribute<?>... attrs) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + SUFFIX);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)) {
                OutputStream out = Channels.newOutputStream(ch);
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Renames {@code from} (a file, directory or symbolic link, already complete and synced) to
     * {@code to} atomically and fsyncs both parent directories.
     */
    public static void rename(Path from, Path to, boolean replace) throws IOException {
        if (replace) {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }
        Path toDir = to.toAbsolutePath().getParent();
        Path fromDir = from.toAbsolutePath().getParent();
        syncDirectory(toDir);
        if (!fromDir.equals(toDir)) {
            syncDirectory(fromDir);
        }
    }

    /** fsync(2) of a file another program wrote (runc's pid file), so its bytes survive a power cut. */
    public static void syncFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** fsync(2) of a directory, so the names in it (a rename, a new file) survive a power cut. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Removes the temporary files of writes a crash interrupted in {@code dir} (not below it). */
    public static int removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "." + "*" + SUFFIX)) {
            for (Path p : entries) {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        || Files.isSymbolicLink(p)) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        }
        return removed;
    }
}
