package dev.flotilla.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One {@code --network} value in Docker's two forms: a network name or id, or the long form
 * {@code name=NETWORK[,alias=ALIAS...]} that also gives the service extra names on that network.
 *
 * @param name    the network's name or id, as given
 * @param aliases the aliases, in the order given
 */
record NetworkOption(String name, List<String> aliases) {

    NetworkOption {
        aliases = List.copyOf(aliases);
    }

    static NetworkOption parse(String value) {
        if (!value.contains("=")) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException(invalid(value, "network name/id is not specified"));
            }
            return new NetworkOption(value, List.of());
        }
        String name = null;
        List<String> aliases = new ArrayList<>();
        for (String field : value.split(",", -1)) {
            int eq = field.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(invalid(value, "invalid field '" + field + "' must be a key=value pair"));
            }
            String key = field.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String v = field.substring(eq + 1).strip();
            switch (key) {
                case "name", "target" -> name = v;
                case "alias" -> {
                    if (v.isEmpty()) {
                        throw new IllegalArgumentException(invalid(value, "alias is empty"));
                    }
                    aliases.add(v);
                }
                default -> throw new IllegalArgumentException(invalid(value, "invalid field key " + key));
            }
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(invalid(value, "network name/id is not specified"));
        }
        return new NetworkOption(name, aliases);
    }

    private static String invalid(String value, String why) {
        return "invalid argument \"" + value + "\" for \"--network\" flag: " + why;
    }
}
