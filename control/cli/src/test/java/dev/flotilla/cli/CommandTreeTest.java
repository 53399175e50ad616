package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CommandTreeTest {

    @Test
    void aCommandLineBuildsOnlyTheCommandsItNames() {
        CommandLine cli = CommandTree.forArgs(new Main(), "-H", "unix:///tmp/x.sock", "service", "ls", "-q");

        assertThat(cli.getSubcommands()).containsOnlyKeys("service");
        assertThat(cli.getSubcommands().get("service").getSubcommands()).containsOnlyKeys("ls", "list");
    }

    @Test
    void anAliasNamesItsCommand() {
        CommandLine cli = CommandTree.forArgs(new Main(), "--host=unix:///tmp/x.sock", "node", "list");

        assertThat(cli.getSubcommands().get("node").getSubcommands()).containsOnlyKeys("ls", "list");
    }

    @Test
    void aGroupWithoutItsCommandGetsTheWholeLevelSoHelpListsEveryCommand() {
        CommandLine cli = CommandTree.forArgs(new Main(), "service", "--help");

        assertThat(cli.getSubcommands().get("service").getSubcommands())
                .containsKeys("create", "ls", "ps", "inspect", "scale", "rm");
        assertThat(usage(cli.getSubcommands().get("service"))).contains("create", "scale", "rm, remove");
    }

    @Test
    void anUnknownOrMissingCommandGetsTheWholeTreeAsWithoutTheShortcut() {
        for (String[] args : new String[][] {{}, {"--help"}, {"servce", "ls"}, {"-H", "service"}}) {
            CommandLine cli = CommandTree.forArgs(new Main(), args);
            assertThat(cli.getSubcommands()).as(String.join(" ", args))
                    .containsKeys("daemon", "swarm", "node", "service", "network", "image", "ps", "exec", "rm", "info");
        }
    }

    @Test
    void inheritedHelpAndVersionReachALazilyAddedCommand() {
        CommandLine cli = CommandTree.forArgs(new Main(), "service", "ls", "--help");

        assertThat(usage(cli.getSubcommands().get("service").getSubcommands().get("ls")))
                .contains("Usage: flotilla service ls", "-h, --help", "-V, --version", "-q, --quiet");
    }

    private static String usage(CommandLine command) {
        StringWriter out = new StringWriter();
        command.usage(new PrintWriter(out));
        return out.toString();
    }
}
