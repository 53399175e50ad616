package dev.flotilla.executor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each container its own writable rootfs, {@code <bundle>/rootfs}.
 *
 * <p>{@link Mode#OVERLAY}: an overlayfs whose lower layer is a hard-link snapshot of the image's rootfs
 * ({@code cp -al}, cheap: no data is copied), so removing or re-importing the image never pulls files from
 * under a running container; writes go to {@code <bundle>/upper}. {@link Mode#COPY}: a full {@code cp -a} of
 * the image, for file systems where overlayfs or hard links into the image store do not work. The mode is
 * probed once, when the runtime starts.
 */
final class RootfsProvisioner {

    private static final Logger log = LoggerFactory.getLogger(RootfsProvisioner.class);

    /** How a container's rootfs is made. */
    enum Mode { OVERLAY, COPY }

    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(30);

    private final Mode mode;

    RootfsProvisioner(Path stateRoot, Path imageScratch) {
        this.mode = probe(stateRoot, imageScratch);
    }

    RootfsProvisioner(Mode mode) {
        this.mode = mode;
    }

    Mode mode() {
        return mode;
    }

    /** Makes {@code bundle.rootfs()} from {@code imageRootfs}. On failure the caller releases and deletes the bundle. */
    void provision(Path imageRootfs, Bundle bundle) throws IOException {
        if (mode == Mode.COPY) {
            copy(List.of("cp", "-a", "-T", "--", imageRootfs.toString(), bundle.rootfs().toString()));
            return;
        }
        copy(List.of("cp", "-al", "-T", "--", imageRootfs.toString(), bundle.lower().toString()));
        Files.createDirectory(bundle.upper());
        Files.createDirectory(bundle.work());
        Files.createDirectory(bundle.rootfs());
        mountOverlay(bundle.lower(), bundle.upper(), bundle.work(), bundle.rootfs());
    }

    /** Unmounts {@code bundle.rootfs()} if it is mounted; afterwards nothing is mounted there. */
    void release(Bundle bundle) {
        Mounts.unmount(bundle.rootfs(), MOUNT_TIMEOUT);
    }

    private static void copy(List<String> argv) {
        Commands.run(COPY_TIMEOUT, argv).orThrow();
    }

    private static void mountOverlay(Path lower, Path upper, Path work, Path target) {
        String options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
        Commands.run(MOUNT_TIMEOUT, List.of("mount", "-t", "overlay", "overlay", "-o", options, target.toString()))
                .orThrow();
    }

    private static Mode probe(Path stateRoot, Path imageScratch) {
        String path = stateRoot.toString();
        if (path.contains(",") || path.contains(":") || path.contains("\\")) {
            log.info("Container rootfs: full copies, because overlay mount options cannot name {}", stateRoot);
            return Mode.COPY;
        }
        Path probe = null;
        Path linked = null;
        try {
            probe = Files.createTempDirectory(stateRoot, ".rootfs-probe-");
            linked = Files.createTempFile(imageScratch, "link-probe-", null);
            Files.createLink(probe.resolve("link"), linked);
            for (String dir : List.of("lower", "upper", "work", "merged")) {
                Files.createDirectory(probe.resolve(dir));
            }
            mountOverlay(probe.resolve("lower"), probe.resolve("upper"), probe.resolve("work"), probe.resolve("merged"));
            Commands.run(MOUNT_TIMEOUT, List.of("umount", probe.resolve("merged").toString())).orThrow();
            log.info("Container rootfs: overlayfs over a hard-link snapshot of the image, under {}", stateRoot);
            return Mode.OVERLAY;
        } catch (IOException | RuntimeException e) {
            log.info("Container rootfs: full copies of the image under {}, because overlayfs over hard links does "
                    + "not work there: {}", stateRoot, e.getMessage());
            return Mode.COPY;
        } finally {
            cleanUpProbe(probe, linked);
        }
    }

    private static void cleanUpProbe(Path probe, Path linked) {
        try {
            if (linked != null) {
                Files.deleteIfExists(linked);
            }
            if (probe != null) {
                FileTrees.deleteRecursively(probe);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the rootfs probe " + probe + ": " + e.getMessage(), e);
        }
    }
}
