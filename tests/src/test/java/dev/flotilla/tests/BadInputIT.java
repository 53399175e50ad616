package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Mistakes a user makes get a one-line message and a non-zero exit, and change nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BadInputIT {
    private TestNode node;
    private Process listener;
    /** `service ls` without REPLICAS (which moves while tasks start): what no mistake may change. */
    private List<String> services;

    @BeforeAll
    void createService() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
        node.ok("service", "create", "--name", "keep", "-d", "-p", "8080:80", "web");
        services = services();
    }

    @AfterEach
    void stopListener() {
        if (listener != null) {
            listener.destroyForcibly();
            listener = null;
        }
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    static Stream<Arguments> mistakes() {
        String notFound = "Error: service nosuch not found";
        return Stream.of(
                Arguments.of(List.of("service", "ps", "nosuch"), 1, notFound),
                Arguments.of(List.of("service", "inspect", "nosuch"), 1, notFound),
                Arguments.of(List.of("service", "scale", "nosuch=2"), 1, notFound),
                Arguments.of(List.of("service", "rm", "nosuch"), 1, notFound),
                Arguments.of(List.of("service", "create", "--name", "x", "-p", "80:abc", "web"), 125,
                        "invalid argument \"80:abc\" for \"-p, --publish\" flag"),
                Arguments.of(List.of("service", "create", "--name", "x", "-p", "99999:80", "web"), 125,
                        "invalid argument \"99999:80\""),
                Arguments.of(List.of("service", "create", "--name", "x", "--replicas", "-1", "web"), 125,
                        "invalid argument \"-1\" for \"--replicas\" flag"),
                Arguments.of(List.of("service", "create", "--name", "bad name!", "web"), 1,
                        "invalid name \"bad name!\""));
    }

    @ParameterizedTest(name = "flotilla {0}")
    @MethodSource("mistakes")
    void mistakeIsRefusedWithOneLineAndChangesNothing(List<String> args, int exitCode, String message) {
        Cli cli = node.cli(args.toArray(String[]::new));
        assertThat(cli.exitCode()).as(node.context(cli)).isEqualTo(exitCode);
        assertThat(cli.stderr().strip()).as(node.context(cli)).contains(message).doesNotContain("\n");
        assertThat(cli.stdout()).as(node.context(cli)).isBlank();
        assertThat(services()).as("service ls after the mistake").isEqualTo(services);
    }

    @Test
    void portTakenByAnotherProcessOnTheNodeIsRefused() {
        try {
            listener = new ProcessBuilder("nsenter", "--net=/run/netns/" + node.name(), "busybox", "nc", "-l", "-p", "9090")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Poll.until(Duration.ofSeconds(30), () -> Processes.ok(Duration.ofSeconds(30), "ip", "netns", "exec", node.name(),
                "ss", "-Htln", "sport = :9090").lines().size() == 1, "nc to listen on 9090 in the node");

        Cli cli = node.cli("service", "create", "--name", "taken", "-p", "9090:80", "web");
        assertThat(cli.exitCode()).as(node.context(cli)).isNotZero();
        assertThat(cli.stderr().strip()).as(node.context(cli))
                .contains("port 9090/tcp is already in use on this node").doesNotContain("\n");
        assertThat(services()).as("service ls after the refused create").isEqualTo(services);
    }

    private List<String> services() {
        Cli ls = node.ok("service", "ls");
        return ls.table().stream()
                .map(r -> String.join(" | ", r.get("ID"), r.get("NAME"), r.get("MODE"), r.get("IMAGE"), r.get("PORTS")))
                .toList();
    }
}
