package dev.flotilla.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DaemonCommandTest {

    @Test
    void printsTheNamespaceTagOfADataRootAndStartsNothing() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new DaemonCommand())
                    .execute("--data-root", "/var/lib/flotilla-demo/./node-1", "--print-namespace-tag");
        } finally {
            System.setOut(stdout);
        }
        assertThat(exit).isZero();
        // printf '%s' /var/lib/flotilla-demo/node-1 | sha256sum | cut -c1-6
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("44afd5\n");
        assertThat(new DaemonConfig(Path.of("/var/lib/flotilla-demo/node-1"),
                Path.of("/run/x.sock"), "runc").tag()).isEqualTo("44afd5");
    }
}
