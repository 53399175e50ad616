package dev.flotilla.cli;

import dev.flotilla.api.v1.ConfigReference;
import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.api.v1.SecretReference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * One {@code --secret} or {@code --config} value, as docker/cli's SecretOpt and ConfigOpt read it:
 * a name, or {@code source=NAME[,target=FILE][,uid=N][,gid=N][,mode=N]} (mode in Go's notation:
 * {@code 0400} is octal). Defaults: target = the name, uid and gid 0, mode 0444. The manager
 * resolves the name.
 */
final class FileRefOption {

    /** A parsed value: the object's name and where its file goes. */
    record Parsed(String source, FileTarget file) {
    }

    private FileRefOption() {
    }

    static SecretReference secret(String value) {
        Parsed p = parse("secret", value);
        return SecretReference.newBuilder().setSecretName(p.source()).setFile(p.file()).build();
    }

    static ConfigReference config(String value) {
        Parsed p = parse("config", value);
        return ConfigReference.newBuilder().setConfigName(p.source()).setFile(p.file()).build();
    }

    static List<SecretReference> secrets(List<String> values) {
        return unique("secret", values.stream().map(FileRefOption::secret).toList(), r -> r.getFile().getName(),
                SecretReference::getSecretName);
    }

    static List<ConfigReference> configs(List<String> values) {
        return unique("config", values.stream().map(FileRefOption::config).toList(), r -> r.getFile().getName(),
                ConfigReference::getConfigName);
    }

    /**
     * {@code service update}: the current references, less those whose secret is named in
     * {@code rm} (docker/cli removes by name), then {@code add} (replacing one of the same target).
     */
    static List<SecretReference> updateSecrets(List<SecretReference> current, List<String> add, List<String> rm) {
        return update(current, secrets(add), rm, r -> r.getFile().getName(), r -> List.of(r.getSecretName(), r.getSecretId()));
    }

    static List<ConfigReference> updateConfigs(List<ConfigReference> current, List<String> add, List<String> rm) {
        return update(current, configs(add), rm, r -> r.getFile().getName(), r -> List.of(r.getConfigName(), r.getConfigId()));
    }

    private static <T> List<T> update(List<T> current, List<T> added, List<String> rm, Function<T, String> target,
            Function<T, List<String>> names) {
        Set<String> gone = new HashSet<>(rm);
        Set<String> newTargets = new HashSet<>();
        added.forEach(r -> newTargets.add(target.apply(r)));
        List<T> out = new ArrayList<>();
        for (T r : current) {
            if (names.apply(r).stream().noneMatch(gone::contains) && !newTargets.contains(target.apply(r))) {
                out.add(r);
            }
        }
        out.addAll(added);
        return out;
    }

    /** docker/cli's ParseSecrets/ParseConfigs: one file per target. */
    private static <T> List<T> unique(String kind, List<T> refs, Function<T, String> target, Function<T, String> name) {
        Set<String> targets = new HashSet<>();
        for (T ref : refs) {
            if (!targets.add(target.apply(ref))) {
                throw new IllegalArgumentException("duplicate " + kind + " target for " + name.apply(ref) + " not allowed");
            }
        }
        return refs;
    }

    static Parsed parse(String kind, String value) {
        String flag = "--" + kind;
        FileTarget.Builder file = FileTarget.newBuilder().setUid("0").setGid("0").setMode(0444);
        List<String> fields = csv(flag, value);
        if (fields.size() == 1 && !fields.get(0).contains("=")) {
            return new Parsed(fields.get(0), file.setName(fields.get(0)).build());
        }
        String source = "";
        for (String field : fields) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw invalid(flag, value, "invalid field '" + field + "' must be a key=value pair");
            }
            String key = field.substring(0, eq);
            String v = field.substring(eq + 1);
            switch (key.toLowerCase(Locale.ROOT)) {
                case "source", "src" -> source = v;
                case "target" -> file.setName(v);
                case "uid" -> file.setUid(v);
                case "gid" -> file.setGid(v);
                case "mode" -> file.setMode(mode(flag, value, v));
                default -> throw invalid(flag, value, "invalid field in " + kind + " request: " + key);
            }
        }
        if (source.isEmpty()) {
            throw invalid(flag, value, "source is required");
        }
        if (file.getName().isEmpty()) {
            file.setName(source);
        }
        return new Parsed(source, file.build());
    }

    /** Go's strconv.ParseUint(v, 0, 32): 0x hex, 0o or a leading 0 octal, 0b binary, else decimal. */
    static int mode(String flag, String value, String v) {
        String digits = v;
        int radix = 10;
        String lower = v.toLowerCase(Locale.ROOT);
        if (lower.startsWith("0x")) {
            radix = 16;
            digits = v.substring(2);
        } else if (lower.startsWith("0o")) {
            radix = 8;
            digits = v.substring(2);
        } else if (lower.startsWith("0b")) {
            radix = 2;
            digits = v.substring(2);
        } else if (v.length() > 1 && v.startsWith("0")) {
            radix = 8;
            digits = v.substring(1);
        }
        try {
            if (digits.isEmpty() || digits.startsWith("+") || digits.startsWith("-")) {
                throw new NumberFormatException();
            }
            long m = Long.parseLong(digits.replace("_", ""), radix);
            if (m > 0xFFFF_FFFFL) {
                throw invalid(flag, value, "invalid mode specified: strconv.ParseUint: parsing \"" + v + "\": value out of range");
            }
            return (int) m;
        } catch (NumberFormatException e) {
            throw invalid(flag, value, "invalid mode specified: strconv.ParseUint: parsing \"" + v + "\": invalid syntax");
        }
    }

    /** One CSV record (Go's encoding/csv): fields split at commas, {@code "..."} quoting one that holds commas. */
    static List<String> csv(String flag, String value) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < value.length() && value.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        if (quoted) {
            throw invalid(flag, value, "parse error on line 1, column " + (value.length() + 1) + ": extraneous or missing \" in quoted-field");
        }
        fields.add(field.toString());
        return fields;
    }

    private static IllegalArgumentException invalid(String flag, String value, String why) {
        return new IllegalArgumentException("invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why);
    }
}
