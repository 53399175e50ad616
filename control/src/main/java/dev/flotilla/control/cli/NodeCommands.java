package dev.flotilla.control.cli;

import dev.flotilla.control.api.v1.ListNodesRequest;
import dev.flotilla.control.api.v1.ListNodesResponse;
import dev.flotilla.control.api.v1.Node;
import dev.flotilla.control.api.v1.NodeRole;
import java.util.Comparator;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code flotilla node ...} */
@Command(name = "node", description = "Manage swarm nodes", subcommands = {NodeCommands.Ls.class})
final class NodeCommands {

    @Command(name = "ls", aliases = "list", description = "List nodes in the swarm")
    static final class Ls extends ClientCommand {
        @Override
        int run(DaemonClient client) {
            ListNodesResponse r = client.control().listNodes(ListNodesRequest.getDefaultInstance());
            Table t = new Table("ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION");
            r.getNodesList().stream().sorted(Comparator.comparing(Node::getHostname)).forEach(n -> t.row(
                    n.getId() + (n.getId().equals(r.getSelfNodeId()) ? " *" : ""),
                    n.getHostname(),
                    title(n.getState().name().substring("NODE_".length())),
                    title(n.getAvailability().name()),
                    n.getRole() == NodeRole.MANAGER ? (n.getLeader() ? "Leader" : "Reachable") : "",
                    n.getEngineVersion()));
            t.print(System.out);
            return 0;
        }
    }

    static String title(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        return Character.toUpperCase(lower.charAt(0)) + lower.substring(1);
    }
}
