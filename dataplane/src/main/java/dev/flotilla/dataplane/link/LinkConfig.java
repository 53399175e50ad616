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

    /**
     * Creates a veth pair with both ends already where they belong, in one netlink request:
     * {@code name} here, enslaved to bridge {@code master} and up; {@code peerName} in namespace
     * {@code peerNetns}, down, with MAC {@code peerMac} ({@code null}: a random one). Both ends get
     * {@code mtu}. Nothing moves between namespaces afterwards: {@link #moveToNetns} waits for an RCU
     * grace period while it holds the kernel's RTNL lock (about 20 ms), so task sandboxes made with
     * moves, a hundred at once, queue for seconds behind each other's.
     */
    public void addVethPair(String name, int mtu, String master, String peerName, String peerNetns, MacAddress peerMac) {
        List<String> args = new ArrayList<>(List.of("link", "add", "name", ifname(name), "mtu", mtu(name, mtu),
                "master", ifname(master), "up", "type", "veth", "peer", "name", ifname(peerName),
                "netns", Netns.validateName(peerNetns), "mtu", mtu(peerName, mtu)));
        if (peerMac != null) {
            args.addAll(List.of("address", peerMac.toString()));
        }
        ip(args.toArray(String[]::new));
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
        ip(upArgs(link));
    }

    public void setDown(String link) {
        ip("link", "set", "dev", ifname(link), "down");
    }

    public void setMtu(String link, int mtu) {
        ip("link", "set", "dev", ifname(link), "mtu", mtu(link, mtu));
    }

    public void setMacAddress(String link, MacAddress mac) {
        ip("link", "set", "dev", ifname(link), "address", mac.toString());
    }

    /** Adds {@code address/prefixLength} to {@code link}, e.g. 10.0.0.2/20 on eth0, or a /32 VIP on br0. */
    public void addAddress(String link, Ipv4Address address, int prefixLength) {
        ip(addressArgs(link, address, prefixLength));
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
        ip(defaultRouteArgs(gateway));
    }

    /** Routes {@code prefix} straight out of {@code link} (on-link, no gateway). */
    public void addRoute(Ipv4Prefix prefix, String link) {
        ip("route", "add", prefix.toString(), "dev", ifname(link));
    }

    /**
     * Commands for this namespace that one {@code ip -batch} process runs, in order; the first that
     * fails stops it, and {@link Batch#run} throws with its line number and the kernel's answer.
     */
    public Batch batch() {
        return new Batch();
    }

    /** A list of commands for {@link #batch}; names and values are checked as each is added. Not thread-safe. */
    public final class Batch {

        private final StringBuilder lines = new StringBuilder();

        private Batch() {
        }

        public Batch setUp(String link) {
            return add(upArgs(link));
        }

        public Batch addAddress(String link, Ipv4Address address, int prefixLength) {
            return add(addressArgs(link, address, prefixLength));
        }

        public Batch addDefaultRoute(Ipv4Address gateway) {
            return add(defaultRouteArgs(gateway));
        }

        /** Runs the commands added so far (none: nothing runs). */
        public void run() {
            if (lines.length() > 0) {
                LinkCommands.run(command("-batch", "-"), lines.toString(), LinkCommands.DEFAULT_TIMEOUT).checked();
            }
        }

        // Checked names and addresses never hold white space, so each argument stays one word of the line.
        private Batch add(String... args) {
            lines.append(String.join(" ", args)).append('\n');
            return this;
        }
    }

    private static String[] upArgs(String link) {
        return new String[] {"link", "set", "dev", ifname(link), "up"};
    }

    private static String[] addressArgs(String link, Ipv4Address address, int prefixLength) {
        Ipv4Prefix.containing(address, prefixLength); // validates the length with a clear message
        return new String[] {"addr", "add", address + "/" + prefixLength, "dev", ifname(link)};
    }

    private static String[] defaultRouteArgs(Ipv4Address gateway) {
        return new String[] {"route", "add", "default", "via", gateway.toString()};
    }

    private static String mtu(String link, int mtu) {
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " for " + link + " is outside 68..65535");
        }
        return Integer.toString(mtu);
    }

    private ExecResult ip(String... args) {
        return tryIp(args).checked();
    }

    private ExecResult tryIp(String... args) {
        return LinkCommands.run(command(args), null, LinkCommands.DEFAULT_TIMEOUT);
    }

    private List<String> command(String... args) {
        List<String> argv = new ArrayList<>(args.length + 3);
        argv.add("ip");
        if (netns != null) {
            argv.add("-n");
            argv.add(netns);
        }
        argv.addAll(List.of(args));
        return argv;
    }

    private static boolean isNoSuchDevice(ExecResult result) {
        // iproute2 6.1: 'Device "x" does not exist.' (show) or 'Cannot find device "x"' (del); the
        // kernel's ENODEV when the link went between ip's name lookup and its request.
        String stderr = result.stderr();
        return stderr.contains("does not exist") || stderr.contains("Cannot find device")
                || stderr.contains("RTNETLINK answers: No such device");
    }

    private static String ifname(String name) {
        return InterfaceNames.validate(name);
    }

    @Override
    public String toString() {
        return netns == null ? "LinkConfig(current)" : "LinkConfig(" + netns + ")";
    }
}
