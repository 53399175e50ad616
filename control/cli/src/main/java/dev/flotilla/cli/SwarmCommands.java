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
            SwarmCommands.Leave.class,
            SwarmCommands.Unlock.class,
            SwarmCommands.UnlockKeyCommand.class,
            SwarmCommands.Update.class);

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

        @Option(names = "--autolock", description = "Enable manager autolocking (requiring an unlock key to start a stopped manager)")
        boolean autolock;

        @Override
        int run(DaemonClient client) {
            long heartbeatMs = heartbeat.isEmpty() ? 0 : Durations.parse(heartbeat, "--dispatcher-heartbeat").toMillis();
            InitSwarmResponse r = client.control().initSwarm(InitSwarmRequest.newBuilder()
                    .setAdvertiseAddr(advertiseAddr)
                    .setDefaultAddrPool(pool)
                    .setDefaultAddrPoolMaskLength(maskLength)
                    .setDataPathPort(dataPathPort)
                    .setDispatcherHeartbeatMs(heartbeatMs)
                    .setAutolock(autolock)
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
            printUnlockCommand(r.getUnlockKey());
            return 0;
        }
    }

    /** docker/cli's printUnlockCommand; nothing without a key. */
    static void printUnlockCommand(String unlockKey) {
        if (!unlockKey.isEmpty()) {
            System.out.print("To unlock a swarm manager after it restarts, run the `flotilla swarm unlock`\n"
                    + "command and provide the following key:\n\n    " + unlockKey + "\n\n"
                    + "Remember to store this key in a password manager, since without it you\n"
                    + "will not be able to restart the manager.\n");
        }
    }

    @Command(name = "unlock", description = "Unlock swarm")
    static final class Unlock extends ClientCommand {
        @Override
        int run(DaemonClient client) throws java.io.IOException {
            String state = client.engine().info(dev.flotilla.api.v1.InfoRequest.getDefaultInstance()).getSwarmState();
            if (state.equals("inactive")) {
                throw new Main.CliException("error: this node is not part of a swarm");
            }
            if (!state.equals("locked")) {
                throw new Main.CliException("error: swarm is not locked");
            }
            client.control().unlockSwarm(dev.flotilla.api.v1.UnlockSwarmRequest.newBuilder()
                    .setUnlockKey(readKey("Enter unlock key: ")).build());
            return 0;
        }
    }

    /** docker/cli's readKey: typed without echo at a terminal, else the first line of stdin. */
    static String readKey(String prompt) throws java.io.IOException {
        java.io.Console console = System.console();
        if (console != null) {
            char[] typed = console.readPassword("%s", prompt);
            return typed == null ? "" : new String(typed).strip();
        }
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                java.nio.charset.StandardCharsets.UTF_8)).readLine();
        return line == null ? "" : line.strip();
    }

    @Command(name = "unlock-key", description = "Manage the unlock key")
    static final class UnlockKeyCommand extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display token")
        boolean quiet;

        @Option(names = "--rotate", description = "Rotate unlock key")
        boolean rotate;

        @Override
        int run(DaemonClient client) {
            String key = client.control().getUnlockKey(dev.flotilla.api.v1.GetUnlockKeyRequest.newBuilder()
                    .setRotate(rotate).build()).getUnlockKey();
            if (rotate && !quiet) {
                System.out.println("Successfully rotated manager unlock key.");
            }
            if (key.isEmpty()) {
                throw new Main.CliException("no unlock key is set");
            }
            if (quiet) {
                System.out.println(key);
            } else {
                printUnlockCommand(key);
            }
            return 0;
        }
    }

    @Command(name = "update", description = "Update the swarm")
    static final class Update extends ClientCommand {
        @Option(names = "--autolock", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
                description = "Change manager autolocking setting (true|false)")
        Boolean autolock;

        @Override
        int run(DaemonClient client) {
            dev.flotilla.api.v1.UpdateSwarmRequest.Builder b = dev.flotilla.api.v1.UpdateSwarmRequest.newBuilder();
            if (autolock != null) {
                b.setAutolock(autolock);
            }
            String key = client.control().updateSwarm(b.build()).getUnlockKey();
            System.out.println("Swarm updated.");
            if (!key.isEmpty()) {
                printUnlockCommand(key);
            }
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
