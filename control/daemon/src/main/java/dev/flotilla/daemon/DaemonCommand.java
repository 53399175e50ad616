package dev.flotilla.daemon;

import dev.flotilla.common.DaemonSocket;
import dev.flotilla.common.Durations;
import dev.flotilla.common.ExitCodes;
import dev.flotilla.common.Version;

import com.google.common.net.InetAddresses;
import dev.flotilla.dns.DnsServerOptions;
import dev.flotilla.executor.Registry;
import dev.flotilla.dns.ResolvConf;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flotilla daemon}: runs a node until SIGTERM. */
@Command(name = "flotilla daemon", description = "Run a Flotilla node", mixinStandardHelpOptions = true,
        version = "flotilla " + Version.VERSION)
public final class DaemonCommand implements Callable<Integer> {

    @Option(names = "--data-root", description = "Root of persisted state (default /var/lib/flotilla)")
    Path dataRoot = Path.of("/var/lib/flotilla");

    @Option(names = "--host", description = "Socket the CLI connects to (default " + DaemonSocket.DEFAULT_HOST + ")")
    String host = DaemonSocket.DEFAULT_HOST;

    @Option(names = "--runc", description = "runc binary (default: runc on PATH)")
    String runc = "runc";

    @Option(names = "--dns", description = "Upstream DNS server for names the embedded DNS server does not own "
            + "(repeatable, at most 3; default: the host's /etc/resolv.conf nameservers)")
    List<String> dns = new ArrayList<>();

    @Option(names = "--dns-ttl", description = "TTL in seconds of the embedded DNS server's answers (default "
            + DnsServerOptions.DEFAULT_TTL_SECONDS + ")")
    int dnsTtl = DnsServerOptions.DEFAULT_TTL_SECONDS;

    @Option(names = "--lb-idle-timeout", description = "Close a connection through the routing mesh or a service "
            + "VIP after this long with no byte either way (ns|us|ms|s|m|h; default 0: never)")
    String lbIdleTimeout = "0s";

    @Option(names = "--insecure-registry", paramLabel = "HOST:PORT",
            description = "A registry to pull from over plain HTTP or unverified HTTPS (repeatable)")
    List<String> insecureRegistries = new ArrayList<>();

    @Option(names = "--registry-certs-dir", paramLabel = "DIR", description = "Registries' CAs and client "
            + "certificates, one directory per HOST:PORT (Docker's certs.d layout; default /etc/flotilla/certs.d)")
    Path registryCertsDir = Registry.Options.DEFAULT.certsDir();

    @Option(names = "--print-namespace-tag", hidden = true,
            description = "Print the tag of the data root's namespaces (fl-<tag>-...) and exit, starting nothing")
    boolean printNamespaceTag;

    /** The daemon's entry point (bin/flotilla starts it for `flotilla daemon`). */
    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new DaemonCommand());
        cli.setParameterExceptionHandler((e, given) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(e.getMessage());
            err.println("See 'flotilla daemon --help'.");
            err.flush();
            return ExitCodes.USAGE;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (printNamespaceTag) {
            System.out.println(DaemonConfig.namespaceTag(dataRoot));
            return 0;
        }
        String socket = host.startsWith("unix://") ? host.substring("unix://".length()) : host;
        if (host.contains("://") && !host.startsWith("unix://")) {
            System.err.println("unsupported --host " + host + ": use unix:///path/to/socket");
            return ExitCodes.USAGE;
        }
        DaemonConfig config;
        try {
            config = new DaemonConfig(dataRoot.toAbsolutePath().normalize(), Path.of(socket), runc, upstreams(),
                    ttl(), Durations.parse(lbIdleTimeout, "--lb-idle-timeout"),
                    new Registry.Options(Set.copyOf(insecureRegistries), registryCertsDir.toAbsolutePath()));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return ExitCodes.USAGE;
        }
        return Daemon.run(config);
    }

    private List<InetSocketAddress> upstreams() {
        if (dns.size() > ResolvConf.MAX_NAMESERVERS) {
            throw new IllegalArgumentException("--dns takes at most " + ResolvConf.MAX_NAMESERVERS
                    + " servers, got " + dns.size());
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String server : dns) {
            if (!InetAddresses.isInetAddress(server)) {
                throw new IllegalArgumentException("invalid argument \"" + server + "\" for \"--dns\" flag: "
                        + "not an IP address");
            }
            out.add(new InetSocketAddress(InetAddresses.forString(server), 53));
        }
        return out;
    }

    private int ttl() {
        if (dnsTtl < DnsServerOptions.MIN_TTL_SECONDS || dnsTtl > DnsServerOptions.MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("invalid argument \"" + dnsTtl + "\" for \"--dns-ttl\" flag: "
                    + "seconds in " + DnsServerOptions.MIN_TTL_SECONDS + ".." + DnsServerOptions.MAX_TTL_SECONDS);
        }
        return dnsTtl;
    }
}
