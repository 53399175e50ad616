package dev.flotilla.dataplane.link;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.linux.InterfaceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Links, addresses and routes of one network namespace, through iproute2 ({@code ip -n NS ...}).
 * Immutable and thread-safe; each method runs one command with a 10 s deadline and throws
 * {@link LinkException} (command and stderr in the message) when it fails.
 *
 * <p>Interface names are checked first ({@link InterfaceNames#validate}: at most 15 bytes), so a
 * bad name fails with {@link IllegalArgumentException} before anything is changed. Keywords
 * ({@code dev}, {@code name}) always precede names, so a name is never read as a keyword.
 */
public final class LinkConfig {

    /** {@code ip -o link show} lines: "2: eth0@if5: <...>". The "@..." part names the peer, not the link. */
    private static final Pattern LINK_LINE = Pattern.compile("^\\d+:\\s+([^:@\\s]+)(?:@[^:\\s]*)?:");

    private final String netns;

    private LinkConfig(String netns) {
        this.netns = netns == null ? null : Netns.validateName(netns);
    }

    /** @param netnsOrNull a name from {@code ip netns}, or {@code null} for the calling thread's namespace */
    public static LinkConfig in(String netnsOrNull) {
        return new LinkConfig(netnsOrNull);
    }

    /** The namespace name, or {@code null} for the calling thread's. */
    public String netns() {
        return netns;
    }

    public void addBridge(String name) {
        ip("link", "add", "name", ifname(name), "type", "bridge");
    }

    /** Creates veth pair {@code name} &lt;-&gt; {@code peerName}, both ends in this namespace, both down. */
    public void addVethPair(String name, String peerName) {
        ip("link", "add", "name", ifname(name), "type", "veth", "peer", "name", ifname(peerName));
    }

    /** Moves {@code link} into named namespace {@code targetNetns}; it arrives down and without addresses. */
    public void moveToNetns(String link, String targetNetns) {
        ip("link", "set", "dev", ifname(link), "netns", Netns.validateName(targetNetns));
    }

    /** Moves {@code link} into {@code targetNetns} and renames it there in the same step (e.g. to {@code eth0}). */
    public void moveToNetns(String link, String targetNetns, String newName) {
        ip("link", "set", "dev", ifname(link), "netns", Netns.validateName(targetNetns), "name", ifname(newName));
    }

    /** Enslaves {@code link} to bridge {@code bridge}. */
    public void setMaster(String link, String bridge) {
        ip("link", "set", "dev", ifname(link), "master", ifname(bridge));
    }

    public void setUp(String link) {
        ip("link", "set", "dev", ifname(link), "up");
    }

    public void setDown(String link) {
        ip("link", "set", "dev", ifname(link), "down");
    }

    public void setMtu(String link, int mtu) {
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " for " + link + " is outside 68..65535");
        }
        ip("link", "set", "dev", ifname(link), "mtu", Integer.toString(mtu));
    }

    public void setMacAddress(String link, MacAddress mac) {
        ip("link", "set", "dev", ifname(link), "address", mac.toString());
    }

    /** Adds {@code address/prefixLength} to {@code link}, e.g. 10.0.0.2/20 on eth0, or a /32 VIP on br0. */
    public void addAddress(String link, Ipv4Address address, int prefixLength) {
        Ipv4Prefix.containing(address, prefixLength); // validates the length with a clear message
        ip("addr", "add", address + "/" + prefixLength, "dev", ifname(link));
    }

    /** Deletes {@code link} (and a veth's peer with it); a link that does not exist is not an error. */
    public void deleteLink(String link) {
        ExecResult result = tryIp("link", "del", "dev", ifname(link));
        if (!result.isSuccess() && !isNoSuchDevice(result)) {
            result.checked();
        }
    }

    public boolean linkExists(String link) {
        ExecResult result = tryIp("link", "show", "dev", ifname(link));
        if (result.isSuccess()) {
            return true;
        }
        if (isNoSuchDevice(result)) {
            return false;
        }
        throw new LinkException(result.command(), result.exitCode(), result.stderr(), "failed", null);
    }

    /** Names of the links whose name starts with {@code prefix} ("" for all), in ifindex order. */
    public List<String> listLinks(String prefix) {
        List<String> names = new ArrayList<>();
        for (String line : ip("-o", "link", "show").stdout().split("\n")) {
            Matcher matcher = LINK_LINE.matcher(line);
            if (matcher.find() && matcher.group(1).startsWith(prefix)) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    public void addDefaultRoute(Ipv4Address gateway) {
        ip("route", "add", "default", "via", gateway.toString());
    }

    /** Routes {@code prefix} straight out of {@code link} (on-link, no gateway). */
    public void addRoute(Ipv4Prefix prefix, String link) {
        ip("route", "add", prefix.toString(), "dev", ifname(link));
    }

    private ExecResult ip(String... args) {
        return tryIp(args).checked();
    }

    private ExecResult tryIp(String... args) {
        List<String> argv = new ArrayList<>(args.length + 3);
        argv.add("ip");
        if (netns != null) {
            argv.add("-n");
            argv.add(netns);
        }
        argv.addAll(List.of(args));
        return LinkCommands.run(argv, null, LinkCommands.DEFAULT_TIMEOUT);
    }

    private static boolean isNoSuchDevice(ExecResult result) {
        // iproute2 6.1: 'Device "x" does not exist.' (show) or 'Cannot find device "x"' (del).
        String stderr = result.stderr();
        return stderr.contains("does not exist") || stderr.contains("Cannot find device");
    }

    private static String ifname(String name) {
        return InterfaceNames.validate(name);
    }

    @Override
    public String toString() {
        return netns == null ? "LinkConfig(current)" : "LinkConfig(" + netns + ")";
    }
}
