package dev.flotilla.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns padded to their widest cell plus three spaces, as Docker's tabwriter. */
final class Table {

    private static final int PADDING = 3;

    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(String... cells) {
        rows.add(cells);
        return this;
    }

    void print(PrintStream out) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(r[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - r[i].length() + PADDING));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
