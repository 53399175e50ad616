package dev.flotilla.cli;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command tree, built for one command line. picocli reads every command's annotations when it
 * is added, which costs more than the rest of a short command, so only the commands a command line
 * names are added: {@code flotilla service ls} builds the root, {@code service} and {@code ls}. A
 * line that names no command or an unknown one gets the root's commands (without theirs), and one
 * that names only a group ({@code flotilla service --help}) gets the group's, so help, suggestions
 * and errors read exactly as with the full tree.
 */
final class CommandTree {

    /** The root's commands, in help order. */
    static final List<Class<?>> COMMANDS = List.of(
            DaemonLauncher.class,
            SwarmCommands.class,
            NodeCommands.class,
            ServiceCommands.class,
            NetworkCommands.class,
            SecretCommands.class,
            ConfigCommands.class,
            VolumeCommands.class,
            EngineCommands.Image.class,
            EngineCommands.Ps.class,
            EngineCommands.Exec.class,
            LogCommands.ContainerLogs.class,
            EngineCommands.Rm.class,
            EngineCommands.Info.class,
            LoginCommands.Login.class,
            LoginCommands.Logout.class);

    /** The groups' commands. */
    private static final Map<Class<?>, List<Class<?>>> GROUPS = Map.of(
            SwarmCommands.class, SwarmCommands.SUBCOMMANDS,
            NodeCommands.class, NodeCommands.SUBCOMMANDS,
            ServiceCommands.class, ServiceCommands.SUBCOMMANDS,
            NetworkCommands.class, NetworkCommands.SUBCOMMANDS,
            SecretCommands.class, SecretCommands.SUBCOMMANDS,
            ConfigCommands.class, ConfigCommands.SUBCOMMANDS,
            VolumeCommands.class, VolumeCommands.SUBCOMMANDS,
            EngineCommands.Image.class, EngineCommands.Image.SUBCOMMANDS);

    /** The root's options that take a value (their value is not a command name). */
    private static final List<String> ROOT_OPTIONS_WITH_VALUE = List.of("-H", "--host");

    private CommandTree() {
    }

    /** The root command with the commands {@code args} names, or every command of a level it leaves open. */
    static CommandLine forArgs(Object root, String... args) {
        CommandLine cli = new CommandLine(root);
        int at = nextWord(args, 0, true);
        String name = at < args.length ? args[at] : null;
        List<Class<?>> chosen = pick(COMMANDS, name);
        for (Class<?> command : chosen) {
            CommandLine added = add(cli, command);
            List<Class<?>> children = GROUPS.get(command);
            // The root's help lists only its own commands: a group's commands are needed only
            // when the group is the command line's.
            if (children != null && chosen.size() == 1) {
                int next = nextWord(args, at + 1, false);
                for (Class<?> child : pick(children, next < args.length ? args[next] : null)) {
                    add(added, child);
                }
            }
        }
        return cli;
    }

    /** The commands called {@code name}, or all of them if none is (or no name was given). */
    private static List<Class<?>> pick(List<Class<?>> commands, String name) {
        if (name != null) {
            for (Class<?> command : commands) {
                if (names(command).contains(name)) {
                    return List.of(command);
                }
            }
        }
        return commands;
    }

    private static CommandLine add(CommandLine parent, Class<?> command) {
        CommandLine child;
        try {
            child = new CommandLine(CommandLine.defaultFactory().create(command));
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the command " + command.getName(), e);
        }
        parent.addSubcommand(child);
        return parent.getSubcommands().get(child.getCommandName());
    }

    private static List<String> names(Class<?> command) {
        Command annotation = command.getAnnotation(Command.class);
        return Stream.concat(Stream.of(annotation.name()), Stream.of(annotation.aliases())).toList();
    }

    /** The index of the first word from {@code from} that is not an option (or an option's value). */
    private static int nextWord(String[] args, int from, boolean root) {
        int i = from;
        while (i < args.length && args[i].startsWith("-")) {
            if (args[i].equals("--")) {
                return args.length;
            }
            if (root && ROOT_OPTIONS_WITH_VALUE.contains(args[i])) {
                i++;
            }
            i++;
        }
        return i;
    }
}
