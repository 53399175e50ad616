package dev.flotilla.cli;

import java.util.Locale;
import java.util.Optional;

/**
 * Docker's lower-case words for the API's enums, as flags take them and {@code service inspect}
 * prints them: {@code TCP} is "tcp", {@code ON_FAILURE} "on-failure".
 */
final class DockerWords {

    private DockerWords() {
    }

    static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant of {@code type} whose word is {@code word}; empty for any other text. */
    static <E extends Enum<E>> Optional<E> parse(Class<E> type, String word) {
        for (E value : type.getEnumConstants()) {
            // Protobuf's UNRECOGNIZED stands for a number a newer peer sent, never for a word.
            if (!value.name().equals("UNRECOGNIZED") && of(value).equals(word)) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }
}
