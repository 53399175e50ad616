package dev.flotilla.control.cli;

import dev.flotilla.control.api.v1.ListNetworksRequest;
import dev.flotilla.control.api.v1.Network;
import dev.flotilla.control.util.Ids;
import java.util.Comparator;
import picocli.CommandLine.Command;

/** {@code flotilla network ...} */
@Command(name = "network", description = "Manage networks", subcommands = {NetworkCommands.Ls.class})
final class NetworkCommands {

    @Command(name = "ls", aliases = "list", description = "List networks")
    static final class Ls extends ClientCommand {
        @Override
        int run(DaemonClient client) {
            Table t = new Table("NETWORK ID", "NAME", "DRIVER", "SCOPE");
            client.control().listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList().stream()
                    .sorted(Comparator.comparing((Network n) -> n.getSpec().getName()))
                    .forEach(n -> t.row(Ids.shortId(n.getId()), n.getSpec().getName(), n.getSpec().getDriver(), "swarm"));
            t.print(System.out);
            return 0;
        }
    }
}
