package dev.flotilla.cli;

import dev.flotilla.api.v1.ContainerLogsRequest;
import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.ListTasksResponse;
import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogOptions;
import dev.flotilla.api.v1.ServiceLogsRequest;
import dev.flotilla.api.v1.Task;
import dev.flotilla.common.Durations;
import dev.flotilla.common.TaskNames;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code service logs} and {@code logs}: task output, stdout lines to stdout and stderr lines to stderr. */
final class LogCommands {

    private LogCommands() {
    }

    /** The flags both commands share, with Docker's names and defaults. */
    static final class LogFlags {
        @Option(names = {"-f", "--follow"}, description = "Follow log output")
        boolean follow;

        @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "Number of lines to show from the end of the logs (default \"all\")")
        String tail = "all";

        @Option(names = "--since", paramLabel = "TIME", description = "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)")
        String since;

        @Option(names = {"-t", "--timestamps"}, description = "Show timestamps")
        boolean timestamps;

        LogOptions options(Instant now) {
            return LogOptions.newBuilder().setFollow(follow).setTail(tail(tail)).setSinceNanos(since == null ? 0 : since(since, now)).build();
        }
    }

    /** {@code all} (or a negative number) is every line. */
    static long tail(String text) {
        if (text.equals("all")) {
            return -1;
        }
        try {
            return Math.max(-1, Long.parseLong(text));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value for \"tail\": \"" + text + "\" is not \"all\" or a number");
        }
    }

    /**
     * Docker's {@code --since}: a Go duration back from now ({@code 10m}), an RFC 3339 time or
     * date, or Unix seconds ({@code 1700000000.5}); nanoseconds since the epoch.
     */
    static long since(String text, Instant now) {
        try {
            return nanos(now.minus(Durations.parse(text, "--since")));
        } catch (IllegalArgumentException notADuration) {
            // one of the other forms
        }
        try {
            return nanos(Instant.parse(text));
        } catch (DateTimeParseException notATime) {
            // one of the other forms
        }
        try {
            return nanos(LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC));
        } catch (DateTimeParseException notADate) {
            // one of the other forms
        }
        try {
            java.math.BigDecimal seconds = new java.math.BigDecimal(text);
            return seconds.movePointRight(9).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid value for \"since\": \"" + text
                    + "\" is not a duration, an RFC 3339 time or Unix seconds");
        }
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** Go's RFC3339Nano, as Docker prints {@code -t}: UTC, trailing zeros of the fraction dropped. */
    static String timestamp(long nanos) {
        Instant t = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
        String base = t.atOffset(ZoneOffset.UTC).toLocalDateTime().withNano(0).toString();
        if (base.length() == 16) {
            base += ":00";
        }
        String fraction = String.format("%09d", t.getNano()).replaceAll("0+$", "");
        return base + (fraction.isEmpty() ? "" : "." + fraction) + "Z";
    }

    @Command(name = "logs", description = "Fetch the logs of a service or task")
    static final class ServiceLogs extends ClientCommand {
        @picocli.CommandLine.Mixin
        LogFlags flags;

        @Option(names = "--raw", description = "Do not neatly format logs")
        boolean raw;

        @Option(names = "--no-task-ids", description = "Do not include task IDs in output")
        boolean noTaskIds;

        @Option(names = "--no-trunc", description = "Do not truncate output")
        boolean noTrunc;

        @Parameters(index = "0", paramLabel = "SERVICE|TASK")
        String target;

        @Override
        int run(DaemonClient client) throws Exception {
            LogOptions options = flags.options(Instant.now());
            Prefixes prefixes = new Prefixes(client, noTaskIds, noTrunc);
            int[] failed = {0};
            return stream(consumer -> client.logs().serviceLogs(ServiceLogsRequest.newBuilder().addTargets(target)
                    .setOptions(options).build(), consumer), m -> {
                        if (!m.getError().isEmpty()) {
                            failed[0] = 1;
                            System.err.println("error from node " + prefixes.node(m.getNodeId()) + ": " + m.getError());
                            return;
                        }
                        String prefix = (flags.timestamps ? timestamp(m.getTimeNanos()) + " " : "")
                                + (raw ? "" : prefixes.of(m) + "    | ");
                        write(m, prefix);
                    }) | failed[0];
        }
    }

    @Command(name = "logs", description = "Fetch the logs of a container on this node")
    static final class ContainerLogs extends ClientCommand {
        @picocli.CommandLine.Mixin
        LogFlags flags;

        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Override
        int run(DaemonClient client) throws Exception {
            LogOptions options = flags.options(Instant.now());
            return stream(consumer -> client.engineStreams().containerLogs(ContainerLogsRequest.newBuilder()
                    .setContainer(container).setOptions(options).build(), consumer),
                    m -> write(m, flags.timestamps ? timestamp(m.getTimeNanos()) + " " : ""));
        }
    }

    /** Runs the streaming call, handing each message to {@code each}; returns 0, or throws the call's error. */
    private static int stream(Consumer<StreamObserver<LogMessage>> call, Consumer<LogMessage> each) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        call.accept(new StreamObserver<>() {
            @Override
            public void onNext(LogMessage m) {
                each.accept(m);
            }

            @Override
            public void onError(Throwable t) {
                error.set(t);
                done.countDown();
            }

            @Override
            public void onCompleted() {
                done.countDown();
            }
        });
        done.await();
        System.out.flush();
        System.err.flush();
        if (error.get() != null) {
            throw error.get() instanceof Exception e ? e : new RuntimeException(error.get());
        }
        return 0;
    }

    /** One line, stdout's to stdout and stderr's to stderr, flushed at once (a follower sees it now). */
    private static void write(LogMessage m, String prefix) {
        PrintStream out = m.getStderr() ? System.err : System.out;
        try {
            OutputStream raw = out;
            raw.write(prefix.getBytes(StandardCharsets.UTF_8));
            m.getLine().writeTo(raw);
            raw.write('\n');
            raw.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Docker's line prefix, {@code web.1.k9f2...@node-1}: the slot's name, the task id (cut to 12
     * characters unless --no-trunc, left out with --no-task-ids), the node's hostname; slot numbers
     * padded to the widest one. Tasks and nodes are looked up once, again for a task not seen yet.
     */
    static final class Prefixes {
        private final DaemonClient client;
        private final boolean noTaskIds;
        private final boolean noTrunc;
        private final Map<String, String> cache = new HashMap<>();
        private Map<String, Task> tasks = Map.of();
        private Map<String, String> hostnames = Map.of();
        private int width;

        Prefixes(DaemonClient client, boolean noTaskIds, boolean noTrunc) {
            this.client = client;
            this.noTaskIds = noTaskIds;
            this.noTrunc = noTrunc;
            refresh();
        }

        private void refresh() {
            ListTasksResponse r = client.control().listTasks(ListTasksRequest.getDefaultInstance());
            Map<String, Task> byId = new HashMap<>();
            r.getTasksList().forEach(t -> byId.put(t.getId(), t));
            tasks = byId;
            hostnames = r.getNodeHostnamesMap();
            width = r.getTasksList().stream().mapToInt(t -> Long.toString(t.getSlot()).length()).max().orElse(1);
        }

        String node(String nodeId) {
            return hostnames.getOrDefault(nodeId, nodeId);
        }

        String of(LogMessage m) {
            return cache.computeIfAbsent(m.getTaskId(), id -> {
                if (!tasks.containsKey(id)) {
                    refresh();
                }
                Task t = tasks.get(id);
                if (t == null) {
                    return id + "@" + node(m.getNodeId());
                }
                String name = TaskNames.slotName(t.getServiceName(), t.getSlot(), t.getNodeId());
                if (!noTaskIds) {
                    name += "." + (noTrunc ? t.getId() : t.getId().substring(0, Math.min(12, t.getId().length())));
                }
                int pad = t.getSlot() == 0 ? 0 : width - Long.toString(t.getSlot()).length();
                return name + "@" + node(m.getNodeId()) + " ".repeat(Math.max(0, pad));
            });
        }
    }
}
