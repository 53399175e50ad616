package dev.flotilla.tests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the aligned tables the CLI prints (`service ls`, `ps`, ...): the header's column names are
 * separated by two or more spaces and every cell starts at its header's column, so empty cells
 * (an empty ERROR) and cells with single spaces ("Running 3 seconds ago") read back intact.
 */
public final class Table {
    private static final Pattern HEADER_CELL = Pattern.compile("\\S+(?: \\S+)*");

    private Table() {
    }

    /** One row, by header name. */
    public record Row(Map<String, String> cells, String line) {
        public String get(String column) {
            String value = cells.get(column);
            if (value == null) {
                throw new AssertionError("No column " + column + " in " + cells.keySet());
            }
            return value;
        }

        @Override
        public String toString() {
            return line;
        }
    }

    public static List<Row> parse(String text) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            throw new AssertionError("Expected a table with a header, got nothing");
        }
        String header = lines.get(0);
        List<String> names = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        Matcher m = HEADER_CELL.matcher(header);
        while (m.find()) {
            names.add(m.group());
            starts.add(m.start());
        }
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            Map<String, String> cells = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                int from = Math.min(starts.get(i), line.length());
                int to = i + 1 < names.size() ? Math.min(starts.get(i + 1), line.length()) : line.length();
                cells.put(names.get(i), line.substring(from, to).strip());
            }
            rows.add(new Row(cells, line));
        }
        return rows;
    }
}
