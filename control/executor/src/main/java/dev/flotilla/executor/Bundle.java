package dev.flotilla.executor;

import dev.flotilla.common.DurableFiles;
import dev.flotilla.dataplane.process.FileTail;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** The files of one container's bundle directory, {@code <state-root>/<id>/}. */
final class Bundle {

    private final String id;
    private final Path dir;

    private Bundle(String id, Path dir) {
        this.id = id;
        this.dir = dir;
    }

    static Bundle of(Path stateRoot, String id) {
        return new Bundle(Container.requireValidId(id), stateRoot.resolve(id));
    }

    String id() {
        return id;
    }

    Path dir() {
        return dir;
    }

    boolean exists() {
        return Files.isDirectory(dir);
    }

    /** The OCI runtime spec runc reads. */
    Path config() {
        return dir.resolve("config.json");
    }

    Path metadata() {
        return dir.resolve("container.json");
    }

    /** The container's stdout and stderr, and runc's own errors. */
    Path log() {
        return dir.resolve("log");
    }

    /** Written by the shim when {@code runc run} returns: the container's exit code. */
    Path exitFile() {
        return dir.resolve("exit");
    }

    Path shimPidFile() {
        return dir.resolve("shim.pid");
    }

    /** Written by runc once the container's process started. */
    Path pidFile() {
        return dir.resolve("pid");
    }

    Path rootfs() {
        return dir.resolve("rootfs");
    }

    Path lower() {
        return dir.resolve("lower");
    }

    Path upper() {
        return dir.resolve("upper");
    }

    Path work() {
        return dir.resolve("work");
    }

    Path hosts() {
        return dir.resolve("hosts");
    }

    Path hostname() {
        return dir.resolve("hostname");
    }

    Path resolvConf() {
        return dir.resolve("resolv.conf");
    }

    /** The container's configs (see {@link TaskFileMounts}). */
    Path configs() {
        return dir.resolve("configs");
    }

    /** The container's secrets: a tmpfs while it runs (see {@link TaskFileMounts}). */
    Path secrets() {
        return dir.resolve("secrets");
    }

    Optional<ContainerMetadata> readMetadata() {
        try {
            return Optional.of(Json.read(metadata(), ContainerMetadata.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metadata() + ": " + e.getMessage(), e);
        }
    }

    OptionalInt exitCode() {
        OptionalLong code = readNumber(exitFile());
        return code.isPresent() ? OptionalInt.of((int) code.getAsLong()) : OptionalInt.empty();
    }

    OptionalLong shimPid() {
        return readNumber(shimPidFile());
    }

    boolean wasStarted() {
        return Files.exists(shimPidFile());
    }

    void writeShimPid(long pid) throws IOException {
        DurableFiles.write(shimPidFile(), (pid + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** The last {@code maxBytes} of the log, for error messages; empty if there is none. */
    String logTail(int maxBytes) {
        try {
            return FileTail.read(log(), maxBytes).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static OptionalLong readNumber(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (NoSuchFileException | NumberFormatException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
