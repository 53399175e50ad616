package dev.flotilla.executor;

import java.util.OptionalInt;

/**
 * A container and what it is doing now.
 *
 * @param container the container
 * @param status its status
 * @param pid its init process in the host's pid namespace while it runs; 0 otherwise
 * @param exitCode its exit code once it ended (137 when SIGKILLed, as in Docker)
 */
public record ContainerState(Container container, ContainerStatus status, long pid, OptionalInt exitCode) {

    public String id() {
        return container.id();
    }

    public String name() {
        return container.name();
    }
}
