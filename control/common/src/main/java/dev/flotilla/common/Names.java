package dev.flotilla.common;

import java.security.SecureRandom;
import java.util.List;
import java.util.regex.Pattern;

/** Names of services and networks: the rule they follow, and random ones for unnamed services. */
public final class Names {

    /** Docker's rule for service and network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters (a DNS label). */
    public static final Pattern VALID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> LEFT = List.of(
            "admiring", "brave", "clever", "dazzling", "eager", "focused", "gallant", "happy",
            "hardcore", "jolly", "keen", "loving", "modest", "nifty", "optimistic", "practical",
            "quirky", "relaxed", "serene", "tender", "upbeat", "vibrant", "wizardly", "zealous");
    private static final List<String> RIGHT = List.of(
            "albattani", "bell", "curie", "darwin", "euler", "fermi", "galileo", "hopper",
            "kirch", "lamport", "lovelace", "mcclintock", "noether", "pascal", "ritchie", "shannon",
            "thompson", "turing", "wozniak", "yonath");

    private Names() {
    }

    public static boolean isValid(String name) {
        return VALID.matcher(name).matches();
    }

    /** A random name in Docker's adjective_surname style, for a service created without one. */
    public static String random() {
        return LEFT.get(RANDOM.nextInt(LEFT.size())) + "_" + RIGHT.get(RANDOM.nextInt(RIGHT.size()));
    }
}
