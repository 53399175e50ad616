package dev.flotilla.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Network namespaces for one test, named {@code <tag>-<6 hex>-<role>} so a leftover is recognisable,
 * all deleted by {@link #close()} even when the test failed half way. Links made inside them (veths,
 * bridges, TAPs) go with them: a veth pair dies with either of its namespaces.
 *
 * <pre>{@code
 * try (NamespaceLab lab = new NamespaceLab("ft-vx")) {
 *     String a = lab.namespace("a");
 *     ...
 * }
 * }</pre>
 */
public final class NamespaceLab implements AutoCloseable {

    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final String prefix;
    private final List<String> namespaces = new ArrayList<>();

    /** A lab whose namespaces start with {@code tag}, a short word saying which module's tests made them. */
    public NamespaceLab(String tag) {
        this.prefix = tag + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0x1000000));
    }

    /** {@code <tag>-<6 hex>}: every namespace of this lab starts with it. */
    public String prefix() {
        return prefix;
    }

    /** Creates namespace {@code <prefix>-<role>} (nothing in it is up, not even lo) and returns its name. */
    public String namespace(String role) {
        String name = prefix + "-" + role;
        Command.runChecked("ip", "netns", "add", name);
        namespaces.add(name);
        return name;
    }

    /**
     * Deletes every namespace this lab made and that still exists, newest first; tries them all and
     * then throws the first failure.
     */
    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            String name = namespaces.get(i);
            try {
                if (Files.exists(NETNS_DIR.resolve(name))) {
                    Command.runChecked("ip", "netns", "delete", name);
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        namespaces.clear();
        if (first != null) {
            throw first;
        }
    }
}
