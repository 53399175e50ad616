package dev.flotilla.cli;

import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.api.v1.SecretReference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One {@code --secret} value, as docker/cli's SecretOpt reads it: a secret's name, or
 * {@code source=NAME[,target=FILE][,uid=N][,gid=N][,mode=N]} (mode in Go's notation: {@code 0400}
 * is octal). Defaults: target = the name, uid and gid 0, mode 0444. The manager resolves the name.
 */
final class SecretOption {

    private SecretOption() {
    }

    static SecretReference parse(String value) {
        FileTarget.Builder file = FileTarget.newBuilder().setUid("0").setGid("0").setMode(0444);
        List<String> fields = csv(value);
        if (fields.size() == 1 && !fields.get(0).contains("=")) {
            return SecretReference.newBuilder().setSecretName(fields.get(0)).setFile(file.setName(fields.get(0))).build();
        }
        String source = "";
        for (String field : fields) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw invalid(value, "invalid field '" + field + "' must be a key=value pair");
            }
            String key = field.substring(0, eq);
            String v = field.substring(eq + 1);
            switch (key.toLowerCase(Locale.ROOT)) {
                case "source", "src" -> source = v;
                case "target" -> file.setName(v);
                case "uid" -> file.setUid(v);
                case "gid" -> file.setGid(v);
                case "mode" -> file.setMode(mode(value, v));
                default -> throw invalid(value, "invalid field in secret request: " + key);
            }
        }
        if (source.isEmpty()) {
            throw invalid(value, "source is required");
        }
        if (file.getName().isEmpty()) {
            file.setName(source);
        }
        return SecretReference.newBuilder().setSecretName(source).setFile(file).build();
    }

    /** docker/cli's ParseSecrets: one secret per target file. */
    static List<SecretReference> parseAll(List<String> values) {
        List<SecretReference> refs = new ArrayList<>();
        Set<String> targets = new HashSet<>();
        for (String v : values) {
            SecretReference ref = parse(v);
            if (!targets.add(ref.getFile().getName())) {
                throw new IllegalArgumentException("duplicate secret target for " + ref.getSecretName() + " not allowed");
            }
            refs.add(ref);
        }
        return refs;
    }

    /**
     * {@code service update}: the current references, less those whose secret is named in
     * {@code rm} (docker/cli removes by secret name), then {@code add} (replacing one of the same target).
     */
    static List<SecretReference> update(List<SecretReference> current, List<String> add, List<String> rm) {
        Set<String> gone = new HashSet<>(rm);
        List<SecretReference> added = parseAll(add);
        Set<String> newTargets = new HashSet<>();
        added.forEach(r -> newTargets.add(r.getFile().getName()));
        List<SecretReference> out = new ArrayList<>();
        for (SecretReference r : current) {
            if (!gone.contains(r.getSecretName()) && !gone.contains(r.getSecretId()) && !newTargets.contains(r.getFile().getName())) {
                out.add(r);
            }
        }
        out.addAll(added);
        return out;
    }

    /** Go's strconv.ParseUint(v, 0, 32): 0x hex, 0o or a leading 0 octal, 0b binary, else decimal. */
    static int mode(String value, String v) {
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
                throw invalid(value, "invalid mode specified: strconv.ParseUint: parsing \"" + v + "\": value out of range");
            }
            return (int) m;
        } catch (NumberFormatException e) {
            throw invalid(value, "invalid mode specified: strconv.ParseUint: parsing \"" + v + "\": invalid syntax");
        }
    }

    /** One CSV record (Go's encoding/csv): fields split at commas, {@code "..."} quoting one that holds commas. */
    static List<String> csv(String value) {
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
            throw invalid(value, "parse error on line 1, column " + (value.length() + 1) + ": extraneous or missing \" in quoted-field");
        }
        fields.add(field.toString());
        return fields;
    }

    private static IllegalArgumentException invalid(String value, String why) {
        return new IllegalArgumentException("invalid argument \"" + value + "\" for \"--secret\" flag: " + why);
    }
}
