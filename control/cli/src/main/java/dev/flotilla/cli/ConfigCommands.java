package dev.flotilla.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.google.protobuf.ByteString;
import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.ConfigSpec;
import dev.flotilla.api.v1.CreateConfigRequest;
import dev.flotilla.api.v1.GetConfigRequest;
import dev.flotilla.api.v1.ListConfigsRequest;
import dev.flotilla.api.v1.RemoveConfigRequest;
import dev.flotilla.common.GoFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla config ...}: Docker's commands and output; unlike a secret, a config's data is shown. */
@Command(name = "config", description = "Manage Swarm configs")
final class ConfigCommands {

    static final List<Class<?>> SUBCOMMANDS = List.of(
            ConfigCommands.Create.class,
            ConfigCommands.Inspect.class,
            ConfigCommands.Ls.class,
            ConfigCommands.Rm.class);

    private ConfigCommands() {
    }

    @Command(name = "create", description = "Create a config from a file or STDIN")
    static final class Create extends ClientCommand {
        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Config labels")
        List<String> labels = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "CONFIG")
        String name;

        @Parameters(index = "1", paramLabel = "FILE|-", arity = "0..1", description = "A file, or - for STDIN")
        String file = "";

        @Override
        int run(DaemonClient client) throws IOException {
            byte[] data = SecretCommands.read("config", file, System.in);
            Config c = client.control().createConfig(CreateConfigRequest.newBuilder().setSpec(ConfigSpec.newBuilder()
                    .setName(name).putAllLabels(SecretCommands.labels(labels)).setData(ByteString.copyFrom(data))).build())
                    .getConfig();
            System.out.println(c.getId());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List configs")
    static final class Ls extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs")
        boolean quiet;

        @Override
        int run(DaemonClient client) {
            List<Config> configs = new ArrayList<>(client.control().listConfigs(ListConfigsRequest.getDefaultInstance())
                    .getConfigsList());
            configs.sort(Comparator.comparing((Config c) -> c.getSpec().getName()));
            if (quiet) {
                configs.forEach(c -> System.out.println(c.getId()));
                return 0;
            }
            long now = System.currentTimeMillis();
            Table t = new Table("ID", "NAME", "CREATED", "UPDATED");
            for (Config c : configs) {
                t.row(c.getId(), c.getSpec().getName(), Human.ago(c.getMeta().getCreatedAtMs(), now),
                        Human.ago(c.getMeta().getUpdatedAtMs(), now));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more configs")
    static final class Inspect extends ClientCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format")
        boolean pretty;

        @Parameters(arity = "1..*", paramLabel = "CONFIG")
        List<String> names;

        @Override
        int run(DaemonClient client) throws JsonProcessingException {
            List<Config> found = new ArrayList<>();
            for (String name : names) {
                found.add(client.control().getConfig(GetConfigRequest.newBuilder().setConfig(name).build()).getConfig());
            }
            if (pretty) {
                SwarmObjects.printEach(found, Inspect::printPretty);
                return 0;
            }
            ArrayNode docs = ServiceJson.JSON.createArrayNode();
            for (Config c : found) {
                // Go's []byte in JSON: base64.
                SwarmObjects.json(docs, c.getId(), c.getMeta(), c.getSpec().getName(), c.getSpec().getLabelsMap())
                        .put("Data", c.getSpec().getData().toByteArray());
            }
            System.out.println(ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(docs));
            return 0;
        }

        /** docker/cli's configInspectPrettyTemplate, tabs and all. */
        private static void printPretty(Config c) {
            System.out.println("ID:\t\t\t" + c.getId());
            System.out.println("Name:\t\t\t" + c.getSpec().getName());
            SwarmObjects.printLabels(c.getSpec().getLabelsMap());
            System.out.println("Created at:            \t" + GoFormat.time(c.getMeta().getCreatedAtMs()));
            System.out.println("Updated at:            \t" + GoFormat.time(c.getMeta().getUpdatedAtMs()));
            System.out.println("Data:");
            System.out.println(c.getSpec().getData().toString(StandardCharsets.UTF_8));
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more configs")
    static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "CONFIG")
        List<String> names;

        @Override
        int run(DaemonClient client) {
            return Removal.each(names, name ->
                    client.control().removeConfig(RemoveConfigRequest.newBuilder().setConfig(name).build()));
        }
    }
}
