package dev.flotilla.cli;

import dev.flotilla.common.Durations;

import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.InitSwarmResponse;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.JoinSwarmResponse;
import dev.flotilla.api.v1.JoinTokenRequest;
import dev.flotilla.api.v1.JoinTokenResponse;
import dev.flotilla.api.v1.LeaveSwarmRequest;
import dev.flotilla.api.v1.NodeRole;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla swarm ...} */
@Command(name = "swarm", description = "Manage the swarm")
final class SwarmCommands {


    /** Its subcommands, in help order; {@link CommandTree} builds only the one a command line names. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            SwarmCommands.Init.class,
            SwarmCommands.Join.class,
            SwarmCommands.JoinToken.class,
            SwarmCommands.Leave.class);

    @Command(name = "init", description = "Initialize a swarm")
    static final class Init extends ClientCommand {
        @Option(names = "--advertise-addr", description = "Advertised address (IP)")
        String advertiseAddr = "";

        @Option(names = "--default-addr-pool", description = "Address pool for networks (default 10.0.0.0/8)")
        String pool = "";

        @Option(names = "--default-addr-pool-mask-length", description = "Subnet size of networks from the pool (default 20)")
        int maskLength;

        @Option(names = "--data-path-port", description = "UDP port of VXLAN traffic (default 4789)")
        int dataPathPort;

        @Option(names = "--dispatcher-heartbeat", description = "Dispatcher heartbeat period (ns|us|ms|s|m|h) (default 5s)")
        String heartbeat = "";

        @Override
        int run(DaemonClient client) {
            long heartbeatMs = heartbeat.isEmpty() ? 0 : Durations.parse(heartbeat, "--dispatcher-heartbeat").toMillis();
            InitSwarmResponse r = client.control().initSwarm(InitSwarmRequest.newBuilder()
                    .setAdvertiseAddr(advertiseAddr)
                    .setDefaultAddrPool(pool)
                    .setDefaultAddrPoolMaskLength(maskLength)
                    .setDataPathPort(dataPathPort)
                    .setDispatcherHeartbeatMs(heartbeatMs)
                    .build());
            System.out.println("Swarm initialized: current node (" + r.getNodeId() + ") is now a manager.");
            System.out.println();
            System.out.println("To add a worker to this swarm, run the following command:");
            System.out.println();
            System.out.println("    flotilla swarm join --token " + r.getWorkerToken() + " " + r.getManagerAddr());
            System.out.println();
            System.out.println("To add a manager to this swarm, run 'flotilla swarm join-token manager' "
                    + "and follow the instructions.");
            System.out.println();
            return 0;
        }
    }

    @Command(name = "join", description = "Join a swarm as a node and/or manager")
    static final class Join extends ClientCommand {
        @Option(names = "--token", required = true, description = "Token for entry into the swarm")
        String token;

        @Option(names = "--advertise-addr", description = "Advertised address (IP)")
        String advertiseAddr = "";

        @Parameters(paramLabel = "HOST:PORT", description = "Address of a manager (port 2377 by default)")
        String remote;

        @Override
        int run(DaemonClient client) {
            JoinSwarmResponse r = client.control().withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
                    .joinSwarm(JoinSwarmRequest.newBuilder()
                            .setToken(token)
                            .setRemoteAddr(remote)
                            .setAdvertiseAddr(advertiseAddr)
                            .build());
            System.out.println("This node joined a swarm as a " + (r.getRole() == NodeRole.MANAGER ? "manager" : "worker") + ".");
            return 0;
        }
    }

    @Command(name = "leave", description = "Leave the swarm")
    static final class Leave extends ClientCommand {
        @Option(names = {"-f", "--force"}, description = "Force this node to leave the swarm, ignoring warnings")
        boolean force;

        @Override
        int run(DaemonClient client) {
            client.control().leaveSwarm(LeaveSwarmRequest.newBuilder().setForce(force).build());
            System.out.println("Node left the swarm.");
            return 0;
        }
    }

    @Command(name = "join-token", description = "Manage join tokens")
    static final class JoinToken extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display token")
        boolean quiet;

        @Option(names = "--rotate", description = "Rotate join token")
        boolean rotate;

        @Parameters(paramLabel = "worker|manager")
        String role;

        @Override
        int run(DaemonClient client) {
            NodeRole nodeRole = switch (role) {
                case "worker" -> NodeRole.WORKER;
                case "manager" -> NodeRole.MANAGER;
                default -> throw new IllegalArgumentException("unknown role " + role + ": use worker or manager");
            };
            JoinTokenResponse r = client.control().getJoinToken(
                    JoinTokenRequest.newBuilder().setRole(nodeRole).setRotate(rotate).build());
            if (quiet) {
                System.out.println(r.getToken());
                return 0;
            }
            if (rotate) {
                System.out.println("Successfully rotated " + role + " join token.");
                System.out.println();
            }
            System.out.println("To add a " + role + " to this swarm, run the following command:");
            System.out.println();
            System.out.println("    flotilla swarm join --token " + r.getToken() + " " + r.getManagerAddr());
            System.out.println();
            return 0;
        }
    }
}
