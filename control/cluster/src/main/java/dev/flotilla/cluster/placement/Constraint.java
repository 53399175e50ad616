package dev.flotilla.cluster.placement;

import dev.flotilla.api.v1.Node;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One placement constraint, {@code key==value} or {@code key!=value}, with swarmkit's parsing
 * rules and messages ({@code manager/constraint/constraint.go}): a key names a node attribute
 * ({@code node.id}, {@code node.hostname}, {@code node.role}, {@code node.ip}, {@code
 * node.platform.os}, {@code node.platform.arch}) or a label ({@code node.labels.K}, {@code
 * engine.labels.K}, K case-sensitive); values match the whole string, case-insensitively, no globs;
 * a missing label matches only {@code !=}; an unknown key never matches.
 */
public record Constraint(String key, boolean equal, String value) {

    public static final String NODE_LABELS = "node.labels.";
    public static final String ENGINE_LABELS = "engine.labels.";

    private static final Pattern KEY = Pattern.compile("(?i)^[a-z_][a-z0-9\\-_.]+$");
    // No current or future operator (<, >, ~) may appear in a value.
    private static final Pattern VALUE = Pattern.compile("(?i)^[a-z0-9:\\-_\\s.*()?+\\[\\]\\\\^$|/]+$");

    /** Every constraint of {@code expressions}, or the first one's error as swarmkit words it. */
    public static List<Constraint> parse(List<String> expressions) {
        List<Constraint> parsed = new ArrayList<>();
        for (String e : expressions) {
            parsed.add(parse(e));
        }
        return parsed;
    }

    public static Constraint parse(String expression) {
        for (String op : new String[] {"==", "!="}) {
            int at = expression.indexOf(op);
            if (at < 0) {
                continue;
            }
            String key = expression.substring(0, at).strip();
            if (!KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("key '" + key + "' is invalid");
            }
            String value = expression.substring(at + op.length()).strip();
            if (!VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("value '" + value + "' is invalid");
            }
            return new Constraint(key, op.equals("=="), value);
        }
        throw new IllegalArgumentException("constraint expected one operator from ==, !=");
    }

    /** Whether {@code node} satisfies every one of {@code constraints}. */
    public static boolean allMatch(List<Constraint> constraints, Node node) {
        for (Constraint c : constraints) {
            if (!c.matches(node)) {
                return false;
            }
        }
        return true;
    }

    public boolean matches(Node node) {
        String k = key.toLowerCase(Locale.ROOT);
        switch (k) {
            case "node.id":
                return match(node.getId());
            case "node.hostname":
                return match(node.getHostname());
            case "node.role":
                return match(switch (node.getRole()) {
                    case MANAGER -> "manager";
                    default -> "worker";
                });
            case "node.platform.os":
                return match(node.getPlatformOs());
            case "node.platform.arch":
                return match(node.getPlatformArch());
            case "node.ip":
                return matchIp(node.getAddr());
            default:
                break;
        }
        if (key.startsWith(NODE_LABELS)) {
            return match(node.getLabelsMap().getOrDefault(key.substring(NODE_LABELS.length()), ""));
        }
        if (key.startsWith(ENGINE_LABELS)) {
            // A Flotilla daemon has no engine labels: every one is missing.
            return match("");
        }
        return false;
    }

    private boolean match(String actual) {
        return value.equalsIgnoreCase(actual) == equal;
    }

    /** {@code node.ip}: the node's address equals the value, or lies in it when it is a CIDR. */
    private boolean matchIp(String addr) {
        boolean in;
        try {
            in = contains(value, addr);
        } catch (IllegalArgumentException e) {
            // swarmkit: a value that is neither an address nor a prefix matches nothing.
            return false;
        }
        return in == equal;
    }

    private static boolean contains(String valueOrCidr, String addr) {
        if (addr.isEmpty()) {
            return false;
        }
        int slash = valueOrCidr.indexOf('/');
        byte[] want = bytes(slash < 0 ? valueOrCidr : valueOrCidr.substring(0, slash));
        byte[] have = bytes(addr);
        if (want.length != have.length) {
            return false;
        }
        int bits = slash < 0 ? want.length * 8 : prefix(valueOrCidr.substring(slash + 1), want.length * 8);
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((want[i / 8] & mask) != (have[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static int prefix(String bits, int max) {
        try {
            int n = Integer.parseInt(bits);
            if (n < 0 || n > max) {
                throw new IllegalArgumentException("bad prefix " + bits);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix " + bits, e);
        }
    }

    /** A literal IPv4 or IPv6 address (never a name: nothing is looked up). */
    private static byte[] bytes(String literal) {
        if (!literal.matches("[0-9a-fA-F:.]+") || !(literal.contains(".") || literal.contains(":"))) {
            throw new IllegalArgumentException("not an address: " + literal);
        }
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + literal, e);
        }
    }

    @Override
    public String toString() {
        return key + (equal ? "==" : "!=") + value;
    }
}
