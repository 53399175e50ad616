package dev.flotilla.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.google.protobuf.ByteString;
import dev.flotilla.api.v1.CreateSecretRequest;
import dev.flotilla.api.v1.GetSecretRequest;
import dev.flotilla.api.v1.ListSecretsRequest;
import dev.flotilla.api.v1.RemoveSecretRequest;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.SecretSpec;
import dev.flotilla.common.GoFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla secret ...}: Docker's commands and output; a secret's value never comes back. */
@Command(name = "secret", description = "Manage Swarm secrets")
final class SecretCommands {

    static final List<Class<?>> SUBCOMMANDS = List.of(
            SecretCommands.Create.class,
            SecretCommands.Inspect.class,
            SecretCommands.Ls.class,
            SecretCommands.Rm.class);

    /** The docker CLI reads at most twice swarmkit's limit (of configs, the larger), so a bigger file fails fast, not in memory. */
    static final int MAX_READ = 2 * 1000 * 1024;

    private SecretCommands() {
    }

    @Command(name = "create", description = "Create a secret from a file or STDIN as content")
    static final class Create extends ClientCommand {
        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Secret labels")
        List<String> labels = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "SECRET")
        String name;

        @Parameters(index = "1", paramLabel = "FILE|-", arity = "0..1", description = "A file, or - for STDIN")
        String file = "";

        @Override
        int run(DaemonClient client) throws IOException {
            byte[] data = read(file, System.in);
            Secret s = client.control().createSecret(CreateSecretRequest.newBuilder().setSpec(SecretSpec.newBuilder()
                    .setName(name).putAllLabels(labels(labels)).setData(ByteString.copyFrom(data))).build()).getSecret();
            System.out.println(s.getId());
            return 0;
        }
    }

    /** docker/cli's readSecretData: a file, or STDIN for {@code -}, neither empty. */
    static byte[] read(String file, InputStream stdin) throws IOException {
        return read("secret", file, stdin);
    }

    /** docker/cli's readSecretData and readConfigData ({@code kind} "secret" or "config"). */
    static byte[] read(String kind, String file, InputStream stdin) throws IOException {
        byte[] data;
        if (file.equals("-")) {
            data = stdin.readNBytes(MAX_READ);
            if (data.length == 0) {
                throw new IllegalArgumentException("error reading from STDIN: data is empty");
            }
            return data;
        }
        if (file.isEmpty()) {
            throw new IllegalArgumentException(kind + " file is required");
        }
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            data = in.readNBytes(MAX_READ);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("error reading from " + file + ": open " + file + ": no such file or directory");
        } catch (IOException e) {
            throw new IllegalArgumentException("error reading from " + file + ": " + e.getMessage());
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("error reading from " + file + ": data is empty");
        }
        return data;
    }

    /** Docker's {@code --label k=v} (a bare {@code k} is a label with an empty value). */
    static Map<String, String> labels(List<String> given) {
        Map<String, String> out = new TreeMap<>();
        for (String l : given) {
            int eq = l.indexOf('=');
            String key = eq < 0 ? l : l.substring(0, eq);
            if (key.isBlank()) {
                throw new IllegalArgumentException("invalid argument \"" + l + "\" for \"-l, --label\" flag: "
                        + "invalid label '" + l + "': empty name");
            }
            out.put(key, eq < 0 ? "" : l.substring(eq + 1));
        }
        return out;
    }

    @Command(name = "ls", aliases = "list", description = "List secrets")
    static final class Ls extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs")
        boolean quiet;

        @Override
        int run(DaemonClient client) {
            List<Secret> secrets = new ArrayList<>(client.control().listSecrets(ListSecretsRequest.getDefaultInstance())
                    .getSecretsList());
            secrets.sort(Comparator.comparing((Secret s) -> s.getSpec().getName()));
            if (quiet) {
                secrets.forEach(s -> System.out.println(s.getId()));
                return 0;
            }
            long now = System.currentTimeMillis();
            Table t = new Table("ID", "NAME", "DRIVER", "CREATED", "UPDATED");
            for (Secret s : secrets) {
                t.row(s.getId(), s.getSpec().getName(), "", Human.ago(s.getMeta().getCreatedAtMs(), now),
                        Human.ago(s.getMeta().getUpdatedAtMs(), now));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more secrets")
    static final class Inspect extends ClientCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format")
        boolean pretty;

        @Parameters(arity = "1..*", paramLabel = "SECRET")
        List<String> names;

        @Override
        int run(DaemonClient client) throws JsonProcessingException {
            List<Secret> found = new ArrayList<>();
            for (String name : names) {
                found.add(client.control().getSecret(GetSecretRequest.newBuilder().setSecret(name).build()).getSecret());
            }
            if (pretty) {
                SwarmObjects.printEach(found, Inspect::printPretty);
                return 0;
            }
            ArrayNode docs = ServiceJson.JSON.createArrayNode();
            for (Secret s : found) {
                SwarmObjects.json(docs, s.getId(), s.getMeta(), s.getSpec().getName(), s.getSpec().getLabelsMap());
            }
            System.out.println(ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(docs));
            return 0;
        }

        private static void printPretty(Secret s) {
            System.out.println("ID:              " + s.getId());
            System.out.println("Name:              " + s.getSpec().getName());
            SwarmObjects.printLabels(s.getSpec().getLabelsMap());
            System.out.println("Driver:            ");
            System.out.println("Created at:        " + GoFormat.time(s.getMeta().getCreatedAtMs()));
            System.out.println("Updated at:        " + GoFormat.time(s.getMeta().getUpdatedAtMs()));
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more secrets")
    static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "SECRET")
        List<String> names;

        @Override
        int run(DaemonClient client) {
            return Removal.each(names, name ->
                    client.control().removeSecret(RemoveSecretRequest.newBuilder().setSecret(name).build()));
        }
    }
}
