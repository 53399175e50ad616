package dev.flotilla.manager.allocator;

import dev.flotilla.api.v1.PortConfig;
import java.util.Optional;

/** Checks that this node can bind a published port, before a service claims it. */
@FunctionalInterface
public interface PortProbe {

    /** Empty when free, else why the port cannot be published here. */
    Optional<String> check(int port, PortConfig.Protocol protocol);
}
