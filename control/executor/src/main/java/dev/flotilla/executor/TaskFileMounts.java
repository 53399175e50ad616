package dev.flotilla.executor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A container's secrets and configs, as Docker keeps them, each file bind-mounted read-only at its
 * place in the container. Secrets are on a tmpfs of their own on the host ({@code <bundle>/secrets},
 * never on disk), made read-only once written and unmounted when the container ends, so the values
 * leave the node with the task; configs are plain files in {@code <bundle>/configs}.
 */
final class TaskFileMounts {

    private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(30);
    /** Room for the files' inodes and rounding beyond their bytes. */
    private static final long SLACK_BYTES = 64 * 1024;

    private TaskFileMounts() {
    }

    /** The file on the host that holds the {@code index}th secret. */
    static Path source(Bundle bundle, int index) {
        return bundle.secrets().resolve(Integer.toString(index));
    }

    /** The file on the host that holds the {@code index}th config. */
    static Path configSource(Bundle bundle, int index) {
        return bundle.configs().resolve(Integer.toString(index));
    }

    /** Writes the configs' files; nothing when there are none. */
    static void writeConfigs(Bundle bundle, List<TaskFile> files) throws IOException {
        if (files.isEmpty()) {
            return;
        }
        Files.createDirectory(bundle.configs());
        for (int i = 0; i < files.size(); i++) {
            writeFile(configSource(bundle, i), files.get(i));
        }
    }

    /** Mounts the tmpfs and writes the files; nothing when there are none. On failure the caller releases. */
    static void write(Bundle bundle, List<TaskFile> files) throws IOException {
        if (files.isEmpty()) {
            return;
        }
        Path dir = bundle.secrets();
        Files.createDirectory(dir);
        long size = SLACK_BYTES;
        for (TaskFile f : files) {
            size += f.data().length + 4096;
        }
        mount("-t", "tmpfs", "-o", "size=" + size + ",mode=0700,nosuid,nodev,noexec", "tmpfs", dir.toString());
        for (int i = 0; i < files.size(); i++) {
            writeFile(source(bundle, i), files.get(i));
        }
        // Nothing writes them again: the container, the daemon and a bug alike.
        mount("-o", "remount,ro,size=" + size, dir.toString());
    }

    private static void writeFile(Path file, TaskFile f) throws IOException {
        Files.write(file, f.data());
        Files.setAttribute(file, "unix:uid", f.uid());
        Files.setAttribute(file, "unix:gid", f.gid());
        // After chown, which clears set-id bits.
        Files.setPosixFilePermissions(file, permissions(f.mode()));
    }

    /** Unmounts the secrets' tmpfs if it is mounted (lazily, if the container still holds it). */
    static void release(Bundle bundle) {
        Mounts.unmount(bundle.secrets(), MOUNT_TIMEOUT);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                p.add(bits[i]);
            }
        }
        return p;
    }

    private static void mount(String... args) {
        List<String> argv = new java.util.ArrayList<>();
        argv.add("mount");
        argv.addAll(List.of(args));
        Commands.run(MOUNT_TIMEOUT, argv).orThrow();
    }
}
