package dev.flotilla.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;

/** A command that talks to the daemon: opens the client, runs, closes it. */
abstract class ClientCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        Main root = (Main) spec.root().userObject();
        try (DaemonClient client = new DaemonClient(root.host())) {
            return run(client);
        }
    }

    abstract int run(DaemonClient client) throws Exception;
}
