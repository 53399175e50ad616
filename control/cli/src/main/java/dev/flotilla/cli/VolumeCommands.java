package dev.flotilla.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.api.v1.CreateVolumeRequest;
import dev.flotilla.api.v1.InspectVolumeRequest;
import dev.flotilla.api.v1.ListVolumesRequest;
import dev.flotilla.api.v1.RemoveVolumeRequest;
import dev.flotilla.api.v1.Volume;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flotilla volume ...}: the named volumes of the node the CLI talks to (Docker's {@code local}
 * driver: a volume is a directory of one node, as Docker's are in a swarm).
 */
@Command(name = "volume", description = "Manage volumes")
final class VolumeCommands {

    static final List<Class<?>> SUBCOMMANDS = List.of(
            VolumeCommands.Create.class,
            VolumeCommands.Inspect.class,
            VolumeCommands.Ls.class,
            VolumeCommands.Rm.class);

    private VolumeCommands() {
    }

    @Command(name = "create", description = "Create a volume")
    static final class Create extends ClientCommand {
        @Option(names = {"-d", "--driver"}, paramLabel = "DRIVER", description = "Specify volume driver name (default \"local\")")
        String driver = "local";

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Set metadata for a volume")
        List<String> labels = new ArrayList<>();

        @Option(names = {"-o", "--opt"}, paramLabel = "KEY=VALUE", description = "Set driver specific options")
        List<String> options = new ArrayList<>();

        @Option(names = "--name", paramLabel = "NAME", description = "Specify volume name")
        String nameFlag;

        @Parameters(index = "0", arity = "0..1", paramLabel = "VOLUME")
        String name;

        @Override
        int run(DaemonClient client) {
            if (name != null && nameFlag != null && !name.equals(nameFlag)) {
                throw new IllegalArgumentException("conflicting options: cannot specify a volume-name through both "
                        + "--name and as a positional arg");
            }
            String chosen = name != null ? name : nameFlag == null ? "" : nameFlag;
            Map<String, String> opts = SecretCommands.labels(options);
            Volume v = client.engine().createVolume(CreateVolumeRequest.newBuilder().setName(chosen).setDriver(driver)
                    .putAllLabels(SecretCommands.labels(labels)).putAllOptions(opts).build());
            System.out.println(v.getName());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List volumes")
    static final class Ls extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display volume names")
        boolean quiet;

        @Option(names = {"-f", "--filter"}, paramLabel = "FILTER", description = "Provide filter values (e.g. \"dangling=true\")")
        List<String> filters = new ArrayList<>();

        @Override
        int run(DaemonClient client) {
            Filters f = Filters.parse(filters, Set.of("name", "driver", "label", "dangling"));
            List<Volume> volumes = client.engine().listVolumes(ListVolumesRequest.getDefaultInstance()).getVolumesList()
                    .stream().filter(f::volume).toList();
            if (quiet) {
                volumes.forEach(v -> System.out.println(v.getName()));
                return 0;
            }
            Table t = new Table("DRIVER", "VOLUME NAME");
            for (Volume v : volumes) {
                t.row(v.getDriver(), v.getName());
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more volumes")
    static final class Inspect extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "VOLUME")
        List<String> names;

        @Override
        int run(DaemonClient client) throws JsonProcessingException {
            ArrayNode docs = ServiceJson.JSON.createArrayNode();
            for (String name : names) {
                docs.add(json(client.engine().inspectVolume(InspectVolumeRequest.newBuilder().setName(name).build())));
            }
            System.out.println(ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(docs));
            return 0;
        }
    }

    /** Docker's volume JSON: no label or option is {@code null}, the scope of a local volume is {@code local}. */
    static ObjectNode json(Volume v) {
        ObjectNode doc = ServiceJson.JSON.createObjectNode();
        // RFC 3339 in whole seconds, as Docker's local driver reports it.
        doc.put("CreatedAt", Instant.ofEpochMilli(v.getCreatedMs()).truncatedTo(ChronoUnit.SECONDS).toString());
        doc.put("Driver", v.getDriver());
        if (v.getLabelsCount() == 0) {
            doc.putNull("Labels");
        } else {
            doc.set("Labels", ServiceJson.JSON.valueToTree(new java.util.TreeMap<>(v.getLabelsMap())));
        }
        doc.put("Mountpoint", v.getMountpoint());
        doc.put("Name", v.getName());
        if (v.getOptionsCount() == 0) {
            doc.putNull("Options");
        } else {
            doc.set("Options", ServiceJson.JSON.valueToTree(new java.util.TreeMap<>(v.getOptionsMap())));
        }
        doc.put("Scope", "local");
        return doc;
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more volumes")
    static final class Rm extends ClientCommand {
        @Option(names = {"-f", "--force"}, description = "Force the removal of one or more volumes")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "VOLUME")
        List<String> names;

        @Override
        int run(DaemonClient client) {
            return Removal.each(names, name -> client.engine().removeVolume(
                    RemoveVolumeRequest.newBuilder().setName(name).setForce(force).build()));
        }
    }
}
