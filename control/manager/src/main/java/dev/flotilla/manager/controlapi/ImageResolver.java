package dev.flotilla.manager.controlapi;

/**
 * Pins a service's image to the digest its registry has for it now, as Docker's daemon does
 * before it hands a service to the manager, so every node runs the same image even if the tag
 * moves later. The daemon supplies one that asks the registry.
 */
@FunctionalInterface
public interface ImageResolver {

    /** A resolver that reaches no registry: every image keeps its tag. */
    ImageResolver NONE = (image, auth) -> {
        throw new IllegalStateException("this manager asks no registry");
    };

    /**
     * The digest ({@code sha256:...}) of {@code image}'s manifest at its registry.
     *
     * @param auth credentials for the registry; the default instance: anonymous
     * @throws RuntimeException with the registry's reason when it cannot be had
     */
    String digest(String image, dev.flotilla.api.v1.RegistryAuth auth);
}
