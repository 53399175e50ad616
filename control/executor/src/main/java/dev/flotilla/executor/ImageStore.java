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
    private final Registry registry;
    /**
     * After a failed pull of a reference the node has locally, how long tasks use the local image
     * without asking the registry again (a hundred tasks starting at once ask once).
     */
    static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    private final java.util.Map<String, Long> recentFailures = new java.util.concurrent.ConcurrentHashMap<>();
    /** One pull at a time: skopeo rewrites the layout's index, and a second pull of an image finds the first's. */
    private final Object pulls = new Object();

    /** Opens (creating if needed) the store at {@code root}, usually {@code <data-root>/images}. */
    public ImageStore(Path root) {
        this(root, Registry.Options.DEFAULT);
    }

    /** As {@link #ImageStore(Path)}, pulling from registries with {@code registries}' TLS settings. */
    public ImageStore(Path root, Registry.Options registries) {
        Path base = root.toAbsolutePath().normalize();
        this.registry = new Registry(registries, base.resolve("layout"), base.resolve("tmp"));
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

    /** The registries this store pulls from. */
    public Registry registry() {
        return registry;
    }

    /**
     * Pulls {@code reference} from its registry unless this node has the very image already: a tag
     * is first resolved to its digest (the registry's answer now), and an image already stored under
     * that digest is only tagged again. Layers are unpacked in order, whiteouts applied.
     *
     * @throws RegistryException with the registry's reason; nothing is left behind
     * @throws IllegalArgumentException for an invalid reference
     */
    public Pull pull(String reference) {
        return pull(reference, null);
    }

    /** As {@link #pull(String)}, with {@code credentials} for the image's registry (null: anonymous). */
    public Pull pull(String reference, Registry.Credentials credentials) {
        ImageReference ref = ImageReference.parse(reference);
        ImageReference pinned = ref.digest() != null ? ref : ref.withDigest(registry.resolve(ref, credentials));
        ImageReference exact = ImageReference.parse(pinned.exact());
        synchronized (pulls) {
            Optional<Image> have = find(exact.toString());
            Path entry = have.isPresent() ? have.get().rootfs().getParent() : pullInto(pinned, credentials);
            try {
                publish(exact, entry);
                if (pinned.tag() != null) {
                    publish(ImageReference.parse(pinned.tagged()), entry);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot tag image " + pinned + ": " + e.getMessage(), e);
            }
            return new Pull(find(exact.toString()).orElseThrow(), pinned.digest(), have.isEmpty());
        }
    }

    /** A pulled image, its manifest's digest, and whether it was downloaded (false: the node had it). */
    public record Pull(Image image, String digest, boolean downloaded) {
    }

    /**
     * What a task needs before its container is made, as Docker's agent does it: the image pulled
     * (so a moved tag is followed); should the registry fail, an image of that reference already on
     * the node is used.
     *
     * @throws RegistryException if the pull failed and the node has no such image
     */
    public Image ensure(String reference, Registry.Credentials credentials) {
        ImageReference ref = ImageReference.parse(reference);
        if (ref.digest() != null) {
            Optional<Image> have = find(ref.exact());
            if (have.isPresent()) {
                return have.get();
            }
        }
        Optional<Image> local = find(ref.exact());
        Long failed = recentFailures.get(ref.exact());
        if (local.isPresent() && failed != null && System.nanoTime() - failed < RETRY_AFTER.toNanos()) {
            // Its registry failed moments ago: the tasks starting now use the local image without asking again.
            return local.get();
        }
        try {
            Image pulled = pull(reference, credentials).image();
            recentFailures.remove(ref.exact());
            return pulled;
        } catch (RegistryException e) {
            if (local.isPresent()) {
                recentFailures.put(ref.exact(), System.nanoTime());
                log.info("Using the local image {}: pulling it failed: {}", ref.exact(), e.reason());
                return local.get();
            }
            throw e;
        }
    }

    private Path pullInto(ImageReference pinned, Registry.Credentials credentials) {
        Path staging = tmp.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectory(staging);
            Registry.Pulled pulled = registry.pull(pinned, staging.resolve(ROOTFS), credentials);
            long size = FileTrees.regularFileBytes(staging.resolve(ROOTFS));
            ImageManifest manifest = new ImageManifest(pinned.tag() != null ? pinned.tagged() : pinned.exact(),
                    pulled.configDigest(), Instant.now().toString(), size, pulled.config(), pulled.layoutTag());
            Json.write(staging.resolve(MANIFEST), manifest);
            Path entry = store.resolve(staging.getFileName());
            DurableFiles.rename(staging, entry, false);
            log.info("Pulled image {} ({}, {} bytes)", pinned, pulled.configDigest(), size);
            return entry;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store pulled image " + pinned + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    /**
     * Every image, sorted by reference: one per tag, as {@code docker image ls} lists them; an image
     * with no tag (pulled by digest only) under its {@code NAME@DIGEST}.
     */
    public List<Image> list() {
        List<Image> images = new ArrayList<>();
        synchronized (lock) {
            try (DirectoryStream<Path> links = Files.newDirectoryStream(refs)) {
                java.util.Map<Path, List<Path>> byEntry = new java.util.LinkedHashMap<>();
                for (Path link : links) {
                    Path entry = isTemporary(link) ? null : target(link);
                    if (entry != null) {
                        byEntry.computeIfAbsent(entry, e -> new ArrayList<>()).add(link);
                    }
                }
                for (List<Path> entryLinks : byEntry.values()) {
                    List<Path> tags = entryLinks.stream().filter(l -> !isDigestLink(l)).toList();
                    for (Path link : tags.isEmpty() ? entryLinks.subList(0, 1) : tags) {
                        read(link).map(i -> withReference(i, link)).ifPresent(images::add);
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

    /** What a removal did: the references it dropped, and the image's id if the image went with them. */
    public record Removed(List<String> untagged, String deletedId) {
    }

    /** As {@link #untag}; false if there was no such reference. */
    public boolean remove(String reference) {
        return untag(reference).isPresent();
    }

    /**
     * Removes {@code reference} (a tag, or {@code NAME@DIGEST}); once the image has no tag left its
     * digest references go too, and with the last reference its rootfs and the layers no other
     * image uses. Empty if there was no such reference.
     */
    public Optional<Removed> untag(String reference) {
        ImageReference ref = ImageReference.parse(reference);
        Path entry;
        List<String> untagged = new ArrayList<>();
        String id;
        synchronized (lock) {
            Path link = linkOf(ref);
            entry = target(link);
            if (entry == null) {
                return Optional.empty();
            }
            id = read(link).map(Image::id).orElse(null);
            try {
                Files.delete(link);
                untagged.add(ref.toString());
                List<Path> left = linksTo(entry);
                if (left.stream().allMatch(ImageStore::isDigestLink)) {
                    for (Path digestLink : left) {
                        Files.delete(digestLink);
                        untagged.add(referenceOf(digestLink));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove image " + ref + ": " + e.getMessage(), e);
            }
        }
        boolean deleted = dropIfUnreferenced(entry);
        log.info("Removed image reference(s) {}{}", untagged, deleted ? ", and the image " + id : "");
        return Optional.of(new Removed(untagged, deleted ? id : null));
    }

    private static boolean isDigestLink(Path link) {
        return link.getFileName().toString().contains("%40");
    }

    private static String referenceOf(Path link) {
        return java.net.URLDecoder.decode(link.getFileName().toString(), StandardCharsets.UTF_8);
    }

    /** The reference links that point at {@code entry}; the caller holds {@link #lock}. */
    private List<Path> linksTo(Path entry) throws IOException {
        List<Path> links = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(refs)) {
            for (Path link : all) {
                if (!isTemporary(link) && entry.equals(target(link))) {
                    links.add(link);
                }
            }
        }
        return links;
    }

    /** Deletes {@code entry} (and its layers no other image has) if no reference names it any more. */
    private boolean dropIfUnreferenced(Path entry) {
        String layoutTag;
        synchronized (lock) {
            try {
                if (!linksTo(entry).isEmpty()) {
                    return false;
                }
                layoutTag = Files.exists(entry.resolve(MANIFEST))
                        ? Json.read(entry.resolve(MANIFEST), ImageManifest.class).layoutTag() : null;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read image " + entry + ": " + e.getMessage(), e);
            }
        }
        deleteQuietly(entry);
        if (layoutTag != null) {
            try {
                registry.forget(layoutTag);
            } catch (RuntimeException e) {
                log.warn("Cannot drop the layers of removed image {} from the layout: {}", layoutTag, e.getMessage());
            }
        }
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
            dropIfUnreferenced(previous);
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

    /** {@code image} as named by {@code link} (an image with several tags is listed once per tag). */
    private static Image withReference(Image image, Path link) {
        return new Image(referenceOf(link), image.id(), image.rootfs(), image.config(), image.created(), image.size());
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
        // Encodes '/', ':' and '@' only: references use no other character URLEncoder changes.
        // NAME:TAG@DIGEST is the image of that digest, whatever the tag names now.
        return refs.resolve(URLEncoder.encode(ref.exact(), StandardCharsets.UTF_8));
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
    record ImageManifest(String reference, String id, String created, long size, ImageConfig config,
            String layoutTag) {

        ImageManifest(String reference, String id, String created, long size, ImageConfig config) {
            this(reference, id, created, size, config, null);
        }

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
