package dev.flotilla.common;

import java.security.SecureRandom;
import java.util.List;

/** Random names for unnamed services, in Docker's adjective_surname style. */
public final class Names {

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

    public static String random() {
        return LEFT.get(RANDOM.nextInt(LEFT.size())) + "_" + RIGHT.get(RANDOM.nextInt(RIGHT.size()));
    }
}
