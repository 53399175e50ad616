package dev.flotilla.executor;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image reference {@code [REGISTRY/]NAME[:TAG][@sha256:DIGEST]}, validated by Docker's grammar
 * (distribution's {@code reference} package). The first {@code /}-separated component is a
 * registry when it has a {@code .} or a {@code :port}, or is {@code localhost}; without one the
 * image is on Docker Hub ({@code nginx} is {@code docker.io/library/nginx}). The path's components
 * are lowercase letters and digits joined by {@code .}, {@code _}, {@code __} or dashes; the tag is
 * up to 128 of {@code [A-Za-z0-9_.-]}, not starting with {@code .} or {@code -}. A reference
 * without tag or digest means {@value #DEFAULT_TAG}.
 *
 * @param name the registry (if given) and path, as written: {@code nginx}, {@code 198.18.0.10:5000/team/web}
 * @param tag the tag, or {@code null} when only a digest names the image
 * @param digest {@code sha256:<64 hex>}, or {@code null}
 */
public record ImageReference(String name, String tag, String digest) {

    public static final String DEFAULT_TAG = "latest";
    public static final String DOCKER_HUB = "docker.io";

    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern PATH = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");
    private static final String LABEL = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
    private static final Pattern REGISTRY = Pattern.compile(LABEL + "(?:\\." + LABEL + ")*(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final int MAX_NAME_LENGTH = 255;

    public ImageReference {
        Objects.requireNonNull(name, "name");
        String whole = name + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
        if (tag == null && digest == null) {
            throw invalid(whole, "it needs a tag or a digest");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw invalid(whole, "the name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        String registry = registryOf(name);
        if (registry != null && !REGISTRY.matcher(registry).matches()) {
            throw invalid(whole, "the registry must be a host name or address, with an optional :port");
        }
        String path = registry == null ? name : name.substring(registry.length() + 1);
        if (!PATH.matcher(path).matches()) {
            throw invalid(whole, path.equals(path.toLowerCase(Locale.ROOT))
                    ? "the name must be lowercase letters and digits, separated by '.', '_' or '-',"
                            + " in components joined by '/'"
                    : "the name must be lowercase");
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw invalid(whole, "the tag must be 1 to 128 of [A-Za-z0-9_.-] and not start with '.' or '-'");
        }
        if (digest != null && !DIGEST.matcher(digest).matches()) {
            throw invalid(whole, "the digest must be sha256: and 64 lowercase hex digits");
        }
    }

    /** Parses {@code [REGISTRY/]NAME[:TAG][@DIGEST]}; with neither tag nor digest the tag is {@value #DEFAULT_TAG}. */
    public static ImageReference parse(String reference) {
        Objects.requireNonNull(reference, "reference");
        if (reference.isEmpty()) {
            throw invalid(reference, "it is empty");
        }
        String rest = reference;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        return new ImageReference(rest, tag == null && digest == null ? DEFAULT_TAG : tag, digest);
    }

    /** The registry named by the first component, or null for Docker Hub. */
    private static String registryOf(String name) {
        int slash = name.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String first = name.substring(0, slash);
        boolean registry = first.contains(".") || first.contains(":") || first.equals("localhost")
                || !first.equals(first.toLowerCase(Locale.ROOT));
        return registry ? first : null;
    }

    /** The registry's {@code host[:port]}: {@value #DOCKER_HUB} unless the name starts with one. */
    public String registry() {
        String registry = registryOf(name);
        return registry == null ? DOCKER_HUB : registry;
    }

    /** This reference pinned to {@code digest}, its tag kept (Docker's {@code nginx:1.25@sha256:...}). */
    public ImageReference withDigest(String digest) {
        return new ImageReference(name, tag, digest);
    }

    /** {@code NAME@DIGEST} (the image itself, whatever its tags), or {@code NAME:TAG} when not pinned. */
    public String exact() {
        return digest != null ? name + "@" + digest : name + ":" + tag;
    }

    /** {@code NAME:TAG}, or null when only a digest names it. */
    public String tagged() {
        return tag == null ? null : name + ":" + tag;
    }

    /** {@code NAME[:TAG][@DIGEST]}. */
    @Override
    public String toString() {
        return name + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }

    private static IllegalArgumentException invalid(String reference, String why) {
        return new IllegalArgumentException("invalid image reference \"" + reference + "\": " + why);
    }
}
