package dev.flotilla.control.daemon;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flotilla daemon}: runs a node until SIGTERM. */
@Command(name = "daemon", description = "Run a Flotilla node")
public final class DaemonCommand implements Callable<Integer> {

    @Option(names = "--data-root", description = "Root of persisted state (default /var/lib/flotilla)")
    Path dataRoot = Path.of("/var/lib/flotilla");

    @Option(names = "--host", description = "Socket the CLI connects to (default unix:///run/flotilla/flotilla.sock)")
    String host = "unix:///run/flotilla/flotilla.sock";

    @Option(names = "--runc", description = "runc binary (default: runc on PATH)")
    String runc = "runc";

    @Override
    public Integer call() throws Exception {
        String socket = host.startsWith("unix://") ? host.substring("unix://".length()) : host;
        if (host.contains("://") && !host.startsWith("unix://")) {
            System.err.println("unsupported --host " + host + ": use unix:///path/to/socket");
            return 125;
        }
        DaemonConfig config = new DaemonConfig(dataRoot.toAbsolutePath().normalize(), Path.of(socket), runc);
        return Daemon.run(config);
    }
}
