package dev.flotilla.executor;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image reference {@code NAME[:TAG]}, validated as Docker validates a repository name and tag: the name is
 * one or more {@code /}-separated components of lowercase letters and digits joined by {@code .}, {@code _},
 * {@code __} or dashes; the tag is up to 128 of {@code [A-Za-z0-9_.-]}, not starting with {@code .} or {@code -}.
 */
public record ImageReference(String name, String tag) {

    public static final String DEFAULT_TAG = "latest";

    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern NAME = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final int MAX_NAME_LENGTH = 255;

    public ImageReference {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tag, "tag");
        String whole = name + ":" + tag;
        if (name.length() > MAX_NAME_LENGTH) {
            throw invalid(whole, "the name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (!NAME.matcher(name).matches()) {
            throw invalid(whole, name.equals(name.toLowerCase(java.util.Locale.ROOT))
                    ? "the name must be lowercase letters and digits, separated by '.', '_' or '-',"
                            + " in components joined by '/'"
                    : "the name must be lowercase");
        }
        if (!TAG.matcher(tag).matches()) {
            throw invalid(whole, "the tag must be 1 to 128 of [A-Za-z0-9_.-] and not start with '.' or '-'");
        }
    }

    /** Parses {@code NAME[:TAG]}; the tag defaults to {@value #DEFAULT_TAG}. */
    public static ImageReference parse(String reference) {
        Objects.requireNonNull(reference, "reference");
        if (reference.isEmpty()) {
            throw invalid(reference, "it is empty");
        }
        if (reference.indexOf('@') >= 0) {
            throw invalid(reference, "digest references are not supported, use NAME[:TAG]");
        }
        int colon = reference.lastIndexOf(':');
        if (colon > reference.lastIndexOf('/')) {
            return new ImageReference(reference.substring(0, colon), reference.substring(colon + 1));
        }
        return new ImageReference(reference, DEFAULT_TAG);
    }

    private static IllegalArgumentException invalid(String reference, String why) {
        return new IllegalArgumentException("invalid image reference \"" + reference + "\": " + why);
    }

    /** {@code NAME:TAG}. */
    @Override
    public String toString() {
        return name + ":" + tag;
    }
}
