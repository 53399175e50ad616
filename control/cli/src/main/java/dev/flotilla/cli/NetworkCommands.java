package dev.flotilla.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.api.v1.CreateNetworkRequest;
import dev.flotilla.api.v1.GetNetworkRequest;
import dev.flotilla.api.v1.ListNetworksRequest;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.RemoveNetworkRequest;
import dev.flotilla.common.Ids;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla network ...} */
@Command(name = "network", description = "Manage networks")
final class NetworkCommands {


    /** Its subcommands, in help order; {@link CommandTree} builds only the one a command line names. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            NetworkCommands.Create.class,
            NetworkCommands.Ls.class,
            NetworkCommands.Inspect.class,
            NetworkCommands.Rm.class);

    /** The node-local bridge that gives tasks their egress, listed as Docker lists docker_gwbridge. */
    static final String GWBRIDGE = "flotilla_gwbridge";

    @Command(name = "create", description = "Create a network")
    static final class Create extends ClientCommand {
        @Option(names = {"-d", "--driver"}, description = "Driver to manage the network (default \"overlay\")")
        String driver = "overlay";

        @Option(names = "--subnet", description = "Subnet in CIDR format (default: the next free one of the pool)")
        String subnet = "";

        @Option(names = "--attachable", description = "Enable manual container attachment")
        boolean attachable;

        @Parameters(paramLabel = "NETWORK")
        String name;

        @Override
        int run(DaemonClient client) {
            Network n = client.control().createNetwork(CreateNetworkRequest.newBuilder().setSpec(NetworkSpec.newBuilder()
                    .setName(name).setDriver(driver).setSubnet(subnet).setAttachable(attachable)).build()).getNetwork();
            System.out.println(n.getId());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List networks")
    static final class Ls extends ClientCommand {
        @Override
        int run(DaemonClient client) {
            Table t = new Table("NETWORK ID", "NAME", "DRIVER", "SCOPE");
            List<Network> networks = client.control().listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList();
            String[][] rows = new String[networks.size() + 1][];
            int i = 0;
            for (Network n : networks) {
                rows[i++] = new String[] {Ids.shortId(n.getId()), n.getSpec().getName(), n.getSpec().getDriver(), "swarm"};
            }
            rows[i] = new String[] {gwbridgeId(client), GWBRIDGE, "bridge", "local"};
            java.util.Arrays.stream(rows).sorted(Comparator.comparing((String[] r) -> r[1])).forEach(t::row);
            t.print(System.out);
            return 0;
        }
    }

    /** The gwbridge is node-local, not in the swarm's store: its id derives from the node's. */
    static String gwbridgeId(DaemonClient client) {
        String nodeId = client.engine().info(dev.flotilla.api.v1.InfoRequest.getDefaultInstance()).getNodeId();
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((nodeId + "/" + GWBRIDGE).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more networks")
    static final class Inspect extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NETWORK")
        List<String> networks;

        @Override
        int run(DaemonClient client) throws JsonProcessingException {
            ArrayNode docs = ServiceJson.JSON.createArrayNode();
            for (String name : networks) {
                Network n = client.control().getNetwork(GetNetworkRequest.newBuilder().setNetwork(name).build()).getNetwork();
                ObjectNode o = docs.addObject();
                o.put("Name", n.getSpec().getName());
                o.put("Id", n.getId());
                o.put("Created", Instant.ofEpochMilli(n.getMeta().getCreatedAtMs()).toString());
                o.put("Scope", "swarm");
                o.put("Driver", n.getSpec().getDriver());
                ObjectNode config = o.putObject("IPAM").put("Driver", "default").putArray("Config").addObject();
                config.put("Subnet", n.getSpec().getSubnet()).put("Gateway", n.getSpec().getGateway());
                o.put("Attachable", n.getSpec().getAttachable());
                o.put("Ingress", n.getSpec().getIngress());
                o.putObject("Options").put("com.docker.network.driver.overlay.vxlanid_list", Integer.toString(n.getVni()));
            }
            System.out.println(ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(docs));
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more networks")
    static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NETWORK")
        List<String> networks;

        @Override
        int run(DaemonClient client) {
            return Removal.each(networks, name ->
                    client.control().removeNetwork(RemoveNetworkRequest.newBuilder().setNetwork(name).build()));
        }
    }
}
