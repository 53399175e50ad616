package dev.flotilla.dataplane.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Named network namespaces, as {@code ip netns} manages them under {@code /run/netns}.
 * Stateless; every method runs at most one command.
 */
public final class Netns {

    static final Path NAMED_DIR = Path.of("/run/netns");

    private Netns() {
    }

    /**
     * Creates namespace {@code name} (with {@code lo} down, as the kernel makes it).
     *
     * @throws LinkException if it already exists or cannot be created
     */
    public static void add(String name) {
        LinkCommands.runChecked(List.of("ip", "netns", "add", validateName(name)));
    }

    /**
     * Deletes namespace {@code name}; a namespace that does not exist is not an error. Links in it
     * go away with it (a veth takes its peer along) once no process or socket holds it any more.
     */
    public static void delete(String name) {
        ExecResult result = LinkCommands.run(List.of("ip", "netns", "delete", validateName(name)), null,
                LinkCommands.DEFAULT_TIMEOUT);
        if (!result.isSuccess() && exists(name)) {
            result.checked();
        }
    }

    public static boolean exists(String name) {
        return Files.exists(NAMED_DIR.resolve(validateName(name)));
    }

    /** Names of all named namespaces, sorted. */
    public static List<String> list() {
        try (Stream<Path> entries = Files.list(NAMED_DIR)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of(); // iproute2 creates the directory with the first namespace
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns {@code name} if iproute2 can use it as a namespace name: not empty, at most 255
     * bytes, no '/' or whitespace, not "." or "..", not starting with '-' (it would read as an option).
     */
    public static String validateName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255 || name.equals(".") || name.equals("..")
                || name.startsWith("-") || name.chars().anyMatch(c -> c == '/' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("invalid network namespace name: '" + name + "'");
        }
        return name;
    }
}
