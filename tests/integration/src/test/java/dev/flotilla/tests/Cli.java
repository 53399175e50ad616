package dev.flotilla.tests;

import java.util.List;

/** What one command printed and returned, as a user's terminal shows it. */
public record Cli(List<String> command, int exitCode, String stdout, String stderr) {

    public boolean ok() {
        return exitCode == 0;
    }

    /** Non-blank stdout lines, trailing blanks stripped. */
    public List<String> lines() {
        return stdout.lines().map(String::stripTrailing).filter(l -> !l.isBlank()).toList();
    }

    /** The rows of the table stdout holds (see {@link Table}). */
    public List<Table.Row> table() {
        return Table.parse(stdout);
    }

    @Override
    public String toString() {
        return "$ " + String.join(" ", command) + "\n(exit " + exitCode + ")\n--- stdout:\n" + stdout
                + "--- stderr:\n" + stderr;
    }
}
