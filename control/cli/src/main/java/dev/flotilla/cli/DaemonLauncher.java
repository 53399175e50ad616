package dev.flotilla.cli;

import picocli.CommandLine.Command;

/**
 * {@code flotilla daemon} in the CLI's help. The daemon is another program with its own class
 * path (the daemon module's); the launcher, {@code bin/flotilla}, starts it for this word, so the
 * CLI only gets here when run some other way.
 */
@Command(name = "daemon", description = "Run a Flotilla node (see 'flotilla daemon --help')")
final class DaemonLauncher implements Runnable {

    @Override
    public void run() {
        throw new Main.CliException("flotilla daemon runs from the launcher, bin/flotilla, with the daemon's class path");
    }
}
