package dev.flotilla.executor;

import dev.flotilla.common.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-local image store: rootfs tarballs or directories imported under a {@code NAME:TAG} reference.
 *
 * <p>Layout under the root: {@code store/<uuid>/} holds one imported {@code rootfs/} and its
 * {@code image.json}; {@code refs/<reference>} is a symlink to the store entry it names; {@code tmp/} holds
 * imports in progress. An import unpacks into {@code tmp/}, moves the result into {@code store/} and then
 * swaps the reference's symlink with one {@code rename(2)}, so readers see the old image or the new one and a
 * failed import leaves nothing behind. Leftovers of a crash (staging dirs, unreferenced store entries) are
 * swept when the store opens.
 */
public final class ImageStore {

    private static final Logger log = LoggerFactory.getLogger(ImageStore.class);

    /** Unpacking or copying a rootfs of a few hundred megabytes takes seconds; this bounds a stuck one. */
    private static final Duration IMPORT_TIMEOUT = Duration.ofMinutes(10);

    static final String ROOTFS = "rootfs";
    private static final String MANIFEST = "image.json";

    private final Path refs;
    private final Path store;
    private final Path tmp;
    /** Guards the reference symlinks: publishing, removing and reading them. */
    private final Object lock = new Object();

    /** Opens (creating if needed) the store at {@code root}, usually {@code <data-root>/images}. */
    public ImageStore(Path root) {
        Path base = root.toAbsolutePath().normalize();
        this.refs = base.resolve("refs");
        this.store = base.resolve("store");
        this.tmp = base.resolve("tmp");
        try {
            Files.createDirectories(refs);
            Files.createDirectories(store);
            Files.createDirectories(tmp);
            sweep();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the image store at " + base + ": " + e.getMessage(), e);
        }
    }

    /** {@code busybox} -> {@code busybox:latest}; throws {@link IllegalArgumentException} for an invalid one. */
    public static String normalize(String reference) {
        return ImageReference.parse(reference).toString();
    }

    /**
     * Imports {@code source} under {@code reference}, replacing any image of that reference.
     *
     * @param source a rootfs tarball ({@code .tar}, {@code .tar.gz}, {@code .tgz}, any compression GNU tar
     *     recognises) or a directory that is the rootfs
     * @param config how to run the image; {@code null} for {@link ImageConfig#EMPTY}
     * @throws IllegalArgumentException for an invalid reference or a missing source
     * @throws CommandException if tar or cp failed (a corrupt tarball); nothing is left behind
     */
    public Image importImage(String reference, Path source, ImageConfig config) {
        ImageReference ref = ImageReference.parse(reference);
        Path from = Objects.requireNonNull(source, "source").toAbsolutePath().normalize();
        if (!Files.exists(from)) {
            throw new IllegalArgumentException("cannot import " + ref + ": " + from
                    + " does not exist; give a rootfs tarball (.tar, .tar.gz, .tgz) or a rootfs directory");
        }
        Path staging = tmp.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectory(staging);
            Path rootfs = staging.resolve(ROOTFS);
            unpack(from, rootfs);
            RootfsDigest.Summary summary = RootfsDigest.of(rootfs);
            ImageManifest manifest = new ImageManifest(ref.toString(), summary.id(), Instant.now().toString(),
                    summary.size(), config == null ? ImageConfig.EMPTY : config);
            Json.write(staging.resolve(MANIFEST), manifest);
            Path entry = store.resolve(staging.getFileName());
            DurableFiles.rename(staging, entry, false);
            publish(ref, entry);
            log.info("Imported image {} ({}, {} bytes) from {}", ref, summary.id(), summary.size(), from);
            return manifest.toImage(entry.resolve(ROOTFS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot import " + ref + " from " + from + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    /** Every image, sorted by reference. */
    public List<Image> list() {
        List<Image> images = new ArrayList<>();
        synchronized (lock) {
            try (DirectoryStream<Path> links = Files.newDirectoryStream(refs)) {
                for (Path link : links) {
                    if (!isTemporary(link)) {
                        read(link).ifPresent(images::add);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list images in " + refs + ": " + e.getMessage(), e);
            }
        }
        images.sort(Comparator.comparing(Image::reference));
        return images;
    }

    /** The image of {@code reference} ({@code NAME[:TAG]}), if imported. */
    public Optional<Image> find(String reference) {
        ImageReference ref = ImageReference.parse(reference);
        synchronized (lock) {
            return read(linkOf(ref));
        }
    }

    /** Removes the image of {@code reference}; false if there was none. */
    public boolean remove(String reference) {
        ImageReference ref = ImageReference.parse(reference);
        Path entry;
        synchronized (lock) {
            Path link = linkOf(ref);
            entry = target(link);
            if (entry == null) {
                return false;
            }
            try {
                Files.delete(link);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove image " + ref + ": " + e.getMessage(), e);
            }
        }
        deleteQuietly(entry);
        log.info("Removed image {}", ref);
        return true;
    }

    /** A directory on the store's file system for short-lived probes of other components. */
    Path scratchDir() {
        return tmp;
    }

    private static void unpack(Path source, Path rootfs) throws IOException {
        if (Files.isDirectory(source)) {
            Commands.run(IMPORT_TIMEOUT, List.of("cp", "-a", "-T", "--", source.toString(), rootfs.toString()))
                    .orThrow();
        } else {
            Files.createDirectory(rootfs);
            // --force-local: a file name with a colon is not host:path; --numeric-owner: uids as in the tarball.
            Commands.run(IMPORT_TIMEOUT, List.of("tar", "-x", "--numeric-owner", "--force-local",
                    "-f", source.toString(), "-C", rootfs.toString())).orThrow();
        }
    }

    private void publish(ImageReference ref, Path entry) throws IOException {
        Path previous;
        synchronized (lock) {
            Path link = linkOf(ref);
            previous = target(link);
            Path newLink = refs.resolve("." + UUID.randomUUID() + ".tmp");
            try {
                Files.createSymbolicLink(newLink, refs.relativize(entry));
                DurableFiles.rename(newLink, link, true);
            } catch (IOException e) {
                Files.deleteIfExists(newLink);
                deleteQuietly(entry);
                throw e;
            }
        }
        if (previous != null && !previous.equals(entry)) {
            deleteQuietly(previous);
        }
    }

    private Optional<Image> read(Path link) {
        Path entry = target(link);
        if (entry == null) {
            return Optional.empty();
        }
        try {
            ImageManifest manifest = Json.read(entry.resolve(MANIFEST), ImageManifest.class);
            return Optional.of(manifest.toImage(entry.resolve(ROOTFS)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image metadata in " + entry + ": " + e.getMessage(), e);
        }
    }

    /** The store entry a reference symlink points at, or null if there is no such link. */
    private Path target(Path link) {
        if (!Files.isSymbolicLink(link)) {
            return null;
        }
        try {
            return link.resolveSibling(Files.readSymbolicLink(link)).normalize();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image reference " + link + ": " + e.getMessage(), e);
        }
    }

    private Path linkOf(ImageReference ref) {
        // Encodes '/' and ':' only: names and tags use no other character URLEncoder changes.
        return refs.resolve(URLEncoder.encode(ref.toString(), StandardCharsets.UTF_8));
    }

    private static boolean isTemporary(Path link) {
        return link.getFileName().toString().startsWith(".");
    }

    /** Removes what a crash can leave: staging dirs, half-made reference links, unreferenced store entries. */
    private void sweep() throws IOException {
        Set<Path> referenced = new HashSet<>();
        int removed = 0;
        try (DirectoryStream<Path> links = Files.newDirectoryStream(refs)) {
            for (Path link : links) {
                if (isTemporary(link)) {
                    Files.deleteIfExists(link);
                    removed++;
                } else if (target(link) != null) {
                    referenced.add(target(link));
                }
            }
        }
        for (Path dir : List.of(tmp, store)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    if (dir.equals(tmp) || !referenced.contains(entry)) {
                        FileTrees.deleteRecursively(entry);
                        removed++;
                    }
                }
            }
        }
        if (removed > 0) {
            log.info("Image store {}: removed {} leftovers of interrupted imports", refs.getParent(), removed);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.deleteRecursively(dir);
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot delete {}; it is swept when the image store next opens: {}", dir, e.toString());
        }
    }

    /** {@code image.json}: what the store knows about an image besides its rootfs. */
    record ImageManifest(String reference, String id, String created, long size, ImageConfig config) {

        Image toImage(Path rootfs) {
            return new Image(reference, id, rootfs, config == null ? ImageConfig.EMPTY : config,
                    Instant.parse(created), size);
        }
    }

    @Override
    public String toString() {
        return "ImageStore[" + refs.getParent() + "]";
    }
}
