package dev.flotilla.cli;

import dev.flotilla.common.DaemonSocket;
import dev.flotilla.common.ExitCodes;
import dev.flotilla.common.Version;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code flotilla}: the CLI that drives the daemon (which {@code bin/flotilla daemon} starts, see {@link DaemonLauncher}).
 * Its commands are {@link CommandTree#COMMANDS}, added for each command line (only those it names).
 */
@Command(name = "flotilla", mixinStandardHelpOptions = true, version = "flotilla " + Version.VERSION,
        // --help and --version on every subcommand too
        scope = CommandLine.ScopeType.INHERIT,
        description = "Swarm-mode container networking: routing mesh, overlay networks, VIPs and DNS.")
public final class Main implements Runnable {

    @Option(names = {"-H", "--host"}, description = "Daemon socket (default: $FLOTILLA_HOST or "
            + DaemonSocket.DEFAULT_HOST + ")")
    String host;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    String host() {
        if (host != null) {
            return host;
        }
        String env = System.getenv("FLOTILLA_HOST");
        return env != null && !env.isEmpty() ? env : DaemonSocket.DEFAULT_HOST;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CliLogging.configure();
        CommandLine cli = CommandTree.forArgs(new Main(), args);
        // Everything after IMAGE (create) or CONTAINER (exec) belongs to the container's command.
        CommandLine service = cli.getSubcommands().get("service");
        if (service != null && service.getSubcommands().containsKey("create")) {
            service.getSubcommands().get("create").setStopAtPositional(true);
        }
        if (cli.getSubcommands().containsKey("exec")) {
            cli.getSubcommands().get("exec").setStopAtPositional(true);
        }
        cli.setParameterExceptionHandler(Main::badUsage);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, cmd));
        return cli.execute(args);
    }

    private static int badUsage(ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println(e.getMessage());
        err.println("See '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int failure(Exception e, CommandLine cmd) {
        PrintWriter err = cmd.getErr();
        if (e instanceof StatusRuntimeException s) {
            err.println(describe(s, cmd));
        } else if (e instanceof IllegalArgumentException) {
            err.println(e.getMessage());
            err.flush();
            return ExitCodes.USAGE;
        } else if (e instanceof CliException) {
            err.println(e.getMessage());
        } else {
            err.println("Error: " + e);
        }
        err.flush();
        return 1;
    }

    private static String describe(StatusRuntimeException e, CommandLine cmd) {
        Status status = e.getStatus();
        if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null
                || status.getCode() == Status.Code.UNAVAILABLE && "io exception".equals(status.getDescription())) {
            Main root = cmd.getCommandSpec().root().userObject() instanceof Main m ? m : null;
            String host = root == null ? DaemonSocket.DEFAULT_HOST : root.host();
            return "Cannot connect to the Flotilla daemon at " + host + ". Is the flotilla daemon running?";
        }
        if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            return "Error response from daemon: the daemon did not answer within " + DaemonClient.DEADLINE_SECONDS + " s";
        }
        if (status.getCode() == Status.Code.NOT_FOUND) {
            return "Error: " + status.getDescription();
        }
        return "Error response from daemon: " + status.getDescription();
    }

    /** An error the CLI itself detected, printed as is. */
    static final class CliException extends RuntimeException {
        CliException(String message) {
            super(message);
        }
    }
}
