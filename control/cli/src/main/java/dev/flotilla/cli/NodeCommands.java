package dev.flotilla.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.api.v1.GetNodeRequest;
import dev.flotilla.api.v1.ListNodesRequest;
import dev.flotilla.api.v1.ListNodesResponse;
import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.UpdateNodeRequest;
import dev.flotilla.api.v1.RemoveNodeRequest;
import dev.flotilla.common.GoFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla node ...} */
@Command(name = "node", description = "Manage swarm nodes")
final class NodeCommands {


    /** Its subcommands, in help order; {@link CommandTree} builds only the one a command line names. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            NodeCommands.Ls.class,
            NodeCommands.Inspect.class,
            NodeCommands.Promote.class,
            NodeCommands.Demote.class,
            NodeCommands.Update.class,
            NodeCommands.Rm.class);

    @Command(name = "ls", aliases = "list", description = "List nodes in the swarm")
    static final class Ls extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs")
        boolean quiet;

        @Override
        int run(DaemonClient client) {
            ListNodesResponse r = client.control().listNodes(ListNodesRequest.getDefaultInstance());
            List<Node> nodes = r.getNodesList().stream()
                    .sorted(Comparator.comparing(Node::getHostname).thenComparing(Node::getId)).toList();
            if (quiet) {
                nodes.forEach(n -> System.out.println(n.getId()));
                return 0;
            }
            Table t = new Table("ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION");
            nodes.forEach(n -> t.row(
                    n.getId() + (n.getId().equals(r.getSelfNodeId()) ? " *" : ""),
                    n.getHostname(),
                    status(n),
                    title(n.getAvailability().name()),
                    managerStatus(n),
                    n.getEngineVersion()));
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more nodes")
    static final class Inspect extends ClientCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format")
        boolean pretty;

        @Parameters(arity = "1..*", paramLabel = "self|NODE")
        List<String> nodes;

        @Override
        int run(DaemonClient client) throws JsonProcessingException {
            ArrayNode docs = ServiceJson.JSON.createArrayNode();
            for (String name : nodes) {
                Node n = client.control().getNode(GetNodeRequest.newBuilder().setNode(name).build()).getNode();
                if (pretty) {
                    System.out.println("ID:\t\t\t" + n.getId());
                    if (n.getLabelsCount() > 0) {
                        System.out.println("Labels:");
                        new TreeMap<>(n.getLabelsMap()).forEach((k, v) -> System.out.println(" - " + k + "=" + v));
                    }
                    System.out.println("Hostname:\t\t" + n.getHostname());
                    System.out.println("Joined at:\t\t" + Instant.ofEpochMilli(n.getMeta().getCreatedAtMs()));
                    System.out.println("Status:");
                    System.out.println(" State:\t\t\t" + status(n));
                    System.out.println(" Availability:\t\t" + title(n.getAvailability().name()));
                    System.out.println(" Address:\t\t" + n.getAddr());
                    if (n.hasManagerStatus()) {
                        System.out.println("Manager Status:");
                        System.out.println(" Address:\t\t" + n.getAddr() + ":2377");
                        System.out.println(" Raft Status:\t\t" + reachability(n.getManagerStatus()));
                        System.out.println(" Leader:\t\t" + (n.getManagerStatus().getLeader() ? "Yes" : "No"));
                    }
                    System.out.println("Platform:");
                    System.out.println(" Operating System:\t" + n.getPlatformOs());
                    System.out.println(" Architecture:\t\t" + n.getPlatformArch());
                    System.out.println("Resources:");
                    System.out.println(" CPUs:\t\t\t" + n.getResources().getNanoCpus() / 1_000_000_000L);
                    System.out.println(" Memory:\t\t" + (n.getResources().getMemoryBytes() == 0 ? ""
                            : GoFormat.bytesSize(n.getResources().getMemoryBytes())));
                    System.out.println("Engine Version:\t\t" + n.getEngineVersion());
                    System.out.println();
                } else {
                    docs.add(json(n));
                }
            }
            if (!pretty) {
                System.out.println(ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(docs));
            }
            return 0;
        }
    }

    @Command(name = "promote", description = "Promote one or more nodes to manager in the swarm")
    static final class Promote extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NODE")
        List<String> nodes;

        @Override
        int run(DaemonClient client) {
            setRole(client, nodes, NodeRole.MANAGER, "Node %s is already a manager.",
                    "Node %s promoted to a manager in the swarm.");
            return 0;
        }
    }

    @Command(name = "demote", description = "Demote one or more nodes from manager in the swarm")
    static final class Demote extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NODE")
        List<String> nodes;

        @Override
        int run(DaemonClient client) {
            setRole(client, nodes, NodeRole.WORKER, "Node %s is already a worker.", "Manager %s demoted in the swarm.");
            return 0;
        }
    }

    /** Promote and demote: each node in turn, Docker's sentence for each. */
    private static void setRole(DaemonClient client, List<String> nodes, NodeRole role, String already, String done) {
        for (String name : nodes) {
            Node before = client.control().getNode(GetNodeRequest.newBuilder().setNode(name).build()).getNode();
            if (before.getRole() == role) {
                System.out.println(String.format(already, name));
                continue;
            }
            client.control().updateNode(UpdateNodeRequest.newBuilder().setNode(name).setSetRole(true).setRole(role).build());
            System.out.println(String.format(done, name));
        }
    }

    @Command(name = "update", description = "Update a node")
    static final class Update extends ClientCommand {
        @Option(names = "--availability", description = "Availability of the node (\"active\", \"pause\", \"drain\")")
        String availability;

        @Option(names = "--role", description = "Role of the node (\"worker\", \"manager\")")
        String role;

        @Option(names = "--label-add", paramLabel = "key[=value]", description = "Add or update a node label (key=value)")
        List<String> labelAdd = new ArrayList<>();

        @Option(names = "--label-rm", paramLabel = "key", description = "Remove a node label if exists")
        List<String> labelRm = new ArrayList<>();

        @Parameters(paramLabel = "NODE")
        String node;

        @Override
        int run(DaemonClient client) {
            UpdateNodeRequest.Builder b = UpdateNodeRequest.newBuilder().setNode(node);
            if (availability != null) {
                b.setSetAvailability(true).setAvailability(switch (availability) {
                    case "active" -> NodeAvailability.ACTIVE;
                    case "pause" -> NodeAvailability.PAUSE;
                    case "drain" -> NodeAvailability.DRAIN;
                    default -> throw new IllegalArgumentException("invalid availability \"" + availability
                            + "\": use active, pause or drain");
                });
            }
            if (role != null) {
                b.setSetRole(true).setRole(switch (role) {
                    case "worker" -> NodeRole.WORKER;
                    case "manager" -> NodeRole.MANAGER;
                    default -> throw new IllegalArgumentException("invalid role \"" + role + "\": use worker or manager");
                });
            }
            for (String label : labelAdd) {
                int eq = label.indexOf('=');
                String key = eq < 0 ? label : label.substring(0, eq);
                if (key.isEmpty()) {
                    throw new IllegalArgumentException("invalid label '" + label + "': empty name");
                }
                b.putAddLabels(key, eq < 0 ? "" : label.substring(eq + 1));
            }
            b.addAllRemoveLabels(labelRm);
            client.control().updateNode(b.build());
            System.out.println(node);
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more nodes from the swarm")
    static final class Rm extends ClientCommand {
        @Option(names = {"-f", "--force"}, description = "Force remove a node from the swarm")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "NODE")
        List<String> nodes;

        @Override
        int run(DaemonClient client) {
            return Removal.each(nodes, name -> client.control().removeNode(
                    RemoveNodeRequest.newBuilder().setNode(name).setForce(force).build()));
        }
    }

    /** Docker's shape: ID, Version, Spec (Role, Availability), Description, Status, ManagerStatus. */
    static ObjectNode json(Node n) {
        ObjectNode o = ServiceJson.JSON.createObjectNode();
        o.put("ID", n.getId());
        o.putObject("Version").put("Index", n.getMeta().getVersion());
        o.put("CreatedAt", Instant.ofEpochMilli(n.getMeta().getCreatedAtMs()).toString());
        o.put("UpdatedAt", Instant.ofEpochMilli(n.getMeta().getUpdatedAtMs()).toString());
        ObjectNode spec = o.putObject("Spec");
        ObjectNode labels = spec.putObject("Labels");
        n.getLabelsMap().forEach(labels::put);
        spec.put("Role", n.getRole().name().toLowerCase(Locale.ROOT));
        spec.put("Availability", n.getAvailability().name().toLowerCase(Locale.ROOT));
        ObjectNode description = o.putObject("Description");
        description.put("Hostname", n.getHostname());
        description.putObject("Platform").put("Architecture", n.getPlatformArch()).put("OS", n.getPlatformOs());
        description.putObject("Resources").put("NanoCPUs", n.getResources().getNanoCpus())
                .put("MemoryBytes", n.getResources().getMemoryBytes());
        description.putObject("Engine").put("EngineVersion", n.getEngineVersion());
        ObjectNode status = o.putObject("Status");
        status.put("State", status(n).toLowerCase(Locale.ROOT));
        if (!n.getStatusMessage().isEmpty()) {
            status.put("Message", n.getStatusMessage());
        }
        status.put("Addr", n.getAddr());
        if (n.hasManagerStatus()) {
            o.putObject("ManagerStatus")
                    .put("Leader", n.getManagerStatus().getLeader())
                    .put("Reachability", reachability(n.getManagerStatus()).toLowerCase(Locale.ROOT))
                    .put("Addr", n.getAddr() + ":2377");
        }
        return o;
    }

    static String status(Node n) {
        return title(n.getState().name().substring("NODE_".length()));
    }

    /** Docker's MANAGER STATUS: empty for a node that is no Raft member, else the leader's live view. */
    static String managerStatus(Node n) {
        if (!n.hasManagerStatus()) {
            return "";
        }
        return n.getManagerStatus().getLeader() ? "Leader" : reachability(n.getManagerStatus());
    }

    static String reachability(ManagerStatus s) {
        return switch (s.getReachability()) {
            case REACHABILITY_REACHABLE -> "Reachable";
            case REACHABILITY_UNREACHABLE -> "Unreachable";
            default -> "Unknown";
        };
    }

    static String title(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        return Character.toUpperCase(lower.charAt(0)) + lower.substring(1);
    }
}
