package dev.flotilla.dataplane.link;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * nftables rules of one network namespace (nftables state is per namespace). Scripts are applied
 * with {@code nft -f -}, which commits the whole script as one transaction: it all applies or
 * nothing does.
 */
public final class Nftables {

    private static final Set<String> FAMILIES = Set.of("ip", "ip6", "inet", "arp", "bridge", "netdev");
    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

    private final NetnsExec exec;

    private Nftables(NetnsExec exec) {
        this.exec = exec;
    }

    /** @param netnsOrNull a name from {@code ip netns}, or {@code null} for the calling thread's namespace */
    public static Nftables in(String netnsOrNull) {
        return new Nftables(NetnsExec.in(netnsOrNull));
    }

    /**
     * Applies {@code script} atomically.
     *
     * @throws LinkException with nft's error (which points at the offending line) if it is rejected
     */
    public void apply(String script) {
        exec.run(List.of("nft", "-f", "-"), script, LinkCommands.DEFAULT_TIMEOUT).checked();
    }

    /** Deletes table {@code family name} with everything in it; a missing table is not an error. */
    public void deleteTable(String family, String name) {
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("unknown nftables family '" + family + "', expected one of " + FAMILIES);
        }
        if (name == null || !TABLE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid nftables table name: '" + name + "'");
        }
        // "add" is a no-op for an existing table; together they are an idempotent delete in one
        // transaction (nft 1.0.6 has no "destroy").
        apply("add table " + family + " " + name + "\ndelete table " + family + " " + name + "\n");
    }

    /** {@code nft list ruleset} output: the namespace's whole ruleset as text. */
    public String listRuleset() {
        return exec.run("nft", "list", "ruleset").checked().stdout();
    }
}
