package dev.flotilla.executor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An image id computed from an unpacked rootfs, so the same content gets the same id however it was imported
 * (tarball, gzipped tarball, directory). Every entry contributes one line: path, type, mode, owner, device
 * number, symlink target and, for regular files, the sha256 of the content.
 */
final class RootfsDigest {

    /** The id ({@code sha256:<hex>}) and the bytes in regular files. */
    record Summary(String id, long size) {
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private RootfsDigest() {
    }

    static Summary of(Path rootfs) throws IOException {
        MessageDigest tree = sha256();
        long size = 0;
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(rootfs)) {
            entries = walk.sorted((a, b) -> rootfs.relativize(a).toString().compareTo(rootfs.relativize(b).toString()))
                    .collect(Collectors.toList());
        }
        for (Path entry : entries) {
            Map<String, Object> attrs = Files.readAttributes(entry, "unix:mode,uid,gid,size,rdev", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attrs.get("mode");
            StringBuilder line = new StringBuilder()
                    .append(rootfs.relativize(entry)).append(' ')
                    .append(Integer.toOctalString(mode)).append(' ')
                    .append(attrs.get("uid")).append(':').append(attrs.get("gid"));
            switch (mode & S_IFMT) {
                case S_IFREG -> {
                    long fileSize = (Long) attrs.get("size");
                    size += fileSize;
                    line.append(' ').append(fileSize).append(' ').append(contentHash(entry));
                }
                case S_IFLNK -> line.append(" -> ").append(Files.readSymbolicLink(entry));
                case S_IFDIR -> { }
                default -> line.append(" dev ").append(attrs.get("rdev"));
            }
            tree.update(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        }
        return new Summary("sha256:" + HexFormat.of().formatHex(tree.digest()), size);
    }

    private static String contentHash(Path file) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
