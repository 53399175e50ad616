package dev.flotilla.cli;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.CreateServiceRequest;
import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.GetServiceRequest;
import dev.flotilla.api.v1.ListServicesRequest;
import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.ListTasksResponse;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.RemoveServiceRequest;
import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.ScaleServiceRequest;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceResponse;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.ServiceSummary;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.common.GoFormat;
import dev.flotilla.common.Ids;
import dev.flotilla.common.TaskNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla service ...} */
@Command(name = "service", description = "Manage swarm services")
final class ServiceCommands {


    /** Its subcommands, in help order; {@link CommandTree} builds only the one a command line names. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            ServiceCommands.Create.class,
            ServiceCommands.Ls.class,
            ServiceCommands.Ps.class,
            LogCommands.ServiceLogs.class,
            ServiceCommands.Inspect.class,
            ServiceCommands.Scale.class,
            ServiceUpdate.Update.class,
            ServiceUpdate.Rollback.class,
            ServiceCommands.Rm.class);

    @Command(name = "create", description = "Create a new service")
    static final class Create extends ClientCommand {
        @Option(names = "--name", description = "Service name")
        String name = "";

        @Option(names = "--replicas", description = "Number of tasks (default 1)", paramLabel = "N")
        String replicas;

        @Option(names = "--mode", description = "Service mode (\"replicated\", \"global\", \"replicated-job\", \"global-job\") (default \"replicated\")")
        String mode = "replicated";

        @Option(names = "--max-concurrent", paramLabel = "N", description = "Number of job tasks to run concurrently (default equal to --replicas)")
        String maxConcurrent;

        @Option(names = {"-p", "--publish"}, description = "Publish a port as a node port: PUBLISHED:TARGET[/tcp|/udp]")
        List<String> publish = new ArrayList<>();

        @Option(names = {"-e", "--env"}, description = "Set environment variables")
        List<String> env = new ArrayList<>();

        @Option(names = "--network", description = "Network attachments (repeatable): NETWORK, or "
                + "name=NETWORK[,alias=ALIAS...]")
        List<String> networks = new ArrayList<>();

        @Option(names = "--network-alias", description = "Add a network-scoped alias on every --network (repeatable)")
        List<String> networkAliases = new ArrayList<>();

        @Option(names = "--hostname", description = "Container hostname")
        String hostname = "";

        @Option(names = "--endpoint-mode", description = "Endpoint mode (vip or dnsrr) (default \"vip\")")
        String endpointMode = "vip";

        @Option(names = "--constraint", paramLabel = "KEY==VALUE", description = "Placement constraints (node.labels.K==V, node.role!=manager, ...)")
        List<String> constraints = new ArrayList<>();

        @Option(names = "--placement-pref", paramLabel = "spread=LABEL", description = "Add a placement preference (spread=node.labels.K)")
        List<String> placementPrefs = new ArrayList<>();

        @Option(names = "--replicas-max-per-node", paramLabel = "N", description = "Maximum number of tasks per node (default 0 = unlimited)")
        String maxReplicasPerNode;

        @Option(names = "--secret", paramLabel = "NAME|source=NAME[,target=FILE,uid=,gid=,mode=]", description = "Specify secrets to expose to the service")
        List<String> secrets = new ArrayList<>();

        @Option(names = "--config", paramLabel = "NAME|source=NAME[,target=FILE,uid=,gid=,mode=]", description = "Specify configurations to expose to the service")
        List<String> configs = new ArrayList<>();

        @Option(names = "--mount", paramLabel = "type=volume|bind|tmpfs,source=,target=[,...]", description = "Attach a filesystem mount to the service")
        List<String> mounts = new ArrayList<>();

        @picocli.CommandLine.Mixin
        RestartFlags restartFlags;

        @picocli.CommandLine.Mixin
        HealthFlags healthFlags;

        @picocli.CommandLine.Mixin
        ResourceFlags resourceFlags;

        @Option(names = "--stop-signal", paramLabel = "SIGNAL", description = "Signal to stop the container (default SIGTERM)")
        String stopSignal;

        @Option(names = "--stop-grace-period", paramLabel = "DURATION", description = "Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)")
        String stopGracePeriod;

        @picocli.CommandLine.Mixin
        UpdateFlags updateFlags;

        @Option(names = {"-d", "--detach"}, description = "Exit immediately instead of waiting for the service to converge")
        boolean detach;

        @Option(names = "--no-resolve-image", description = "Do not query the registry to resolve image digest")
        boolean noResolveImage;

        @Option(names = "--with-registry-auth", description = "Send registry authentication details to swarm agents")
        boolean withRegistryAuth;

        @Parameters(index = "0", paramLabel = "IMAGE")
        String image;

        @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*")
        List<String> command = new ArrayList<>();

        @Override
        int run(DaemonClient client) {
            ServiceSpec.Mode serviceMode = DockerWords.parse(ServiceSpec.Mode.class, mode).orElseThrow(() ->
                    new IllegalArgumentException("unknown mode: " + mode + ", only replicated and global supported"));
            boolean global = serviceMode == ServiceSpec.Mode.GLOBAL || serviceMode == ServiceSpec.Mode.GLOBAL_JOB;
            boolean job = serviceMode == ServiceSpec.Mode.REPLICATED_JOB || serviceMode == ServiceSpec.Mode.GLOBAL_JOB;
            if (maxConcurrent != null && serviceMode != ServiceSpec.Mode.REPLICATED_JOB) {
                throw new IllegalArgumentException("max-concurrent can only be used with replicated-job mode");
            }
            if (maxReplicasPerNode != null && serviceMode != ServiceSpec.Mode.REPLICATED) {
                throw new IllegalArgumentException("replicas-max-per-node can only be used with replicated mode");
            }
            if (global && replicas != null) {
                throw new IllegalArgumentException("replicas can only be used with replicated or replicated-job mode");
            }
            if (job && updateFlags.any()) {
                throw new IllegalArgumentException("update and rollback configuration is not supported for jobs");
            }
            long count = global ? 0 : Flags.replicas(replicas == null ? "1" : replicas);
            long concurrent = maxConcurrent != null ? Flags.unsigned(maxConcurrent, "--max-concurrent")
                    : serviceMode == ServiceSpec.Mode.REPLICATED_JOB ? count : 0;
            ServiceSpec.EndpointMode mode = DockerWords.parse(ServiceSpec.EndpointMode.class, endpointMode).orElseThrow(() ->
                    new IllegalArgumentException("invalid endpoint mode \"" + endpointMode + "\": vip or dnsrr"));
            for (String e : env) {
                if (e.isEmpty() || e.startsWith("=")) {
                    throw new IllegalArgumentException("invalid argument \"" + e + "\" for \"-e, --env\" flag: variable name is empty");
                }
            }
            List<PortConfig> ports = publish.stream().map(PortSpec::parse).toList();
            List<NetworkOption> attachments = networks.stream().map(NetworkOption::parse).toList();
            if (!networkAliases.isEmpty() && attachments.isEmpty()) {
                throw new IllegalArgumentException("--network-alias needs a --network to name the service on");
            }
            List<NetworkAlias> aliases = new ArrayList<>();
            for (NetworkOption n : attachments) {
                for (String alias : n.aliases()) {
                    aliases.add(NetworkAlias.newBuilder().setNetwork(n.name()).setAlias(alias).build());
                }
                for (String alias : networkAliases) {
                    aliases.add(NetworkAlias.newBuilder().setNetwork(n.name()).setAlias(alias).build());
                }
            }
            ContainerSpec.Builder container = ContainerSpec.newBuilder()
                    .setImage(image).addAllArgs(command).addAllEnv(env).setHostname(hostname);
            if (withRegistryAuth) {
                DockerConfig.forUser().credentials(DockerConfig.registryOf(image)).ifPresent(container::setRegistryAuth);
            }
            container.addAllSecrets(FileRefOption.secrets(secrets)).addAllConfigs(FileRefOption.configs(configs));
            for (String m : mounts) {
                container.addMounts(MountOption.parse("--mount", m));
            }
            StopFlags.apply(container, stopSignal, stopGracePeriod);
            HealthConfig health = healthFlags.apply(HealthConfig.getDefaultInstance());
            if (!health.equals(HealthConfig.getDefaultInstance())) {
                container.setHealthcheck(health);
            }
            ResourceRequirements resources = resourceFlags.apply(ResourceRequirements.getDefaultInstance());
            if (!resources.equals(ResourceRequirements.getDefaultInstance())) {
                container.setResources(resources);
            }
            ServiceSpec.Builder spec = ServiceSpec.newBuilder()
                    .setName(name)
                    .setMode(serviceMode)
                    .setReplicas(count)
                    .setMaxConcurrent(concurrent)
                    .setContainer(container)
                    .addAllPorts(ports)
                    .addAllNetworks(attachments.stream().map(NetworkOption::name).toList())
                    .addAllNetworkAliases(aliases)
                    .setRestart(restartFlags.apply(RestartFlags.defaults()))
                    .setEndpointMode(mode);
            Placement placement = PlacementFlags.create(constraints, placementPrefs, maxReplicasPerNode);
            if (!placement.equals(Placement.getDefaultInstance())) {
                spec.setPlacement(placement);
            }
            if (!job) {
                spec.setUpdate(updateFlags.update(UpdateFlags.defaults()))
                        .setRollback(updateFlags.rollback(UpdateFlags.defaults()));
            }
            ServiceResponse created = client.control().createService(CreateServiceRequest.newBuilder().setSpec(spec)
                    .setNoResolveImage(noResolveImage).build());
            created.getWarningsList().forEach(System.err::print);
            Service s = created.getService();
            System.out.println(s.getId());
            return detach ? 0 : Progress.await(client, s, s.getMeta().getCreatedAtMs(), System.out);
        }
    }

    /** docker/cli's Resources block of {@code service inspect --pretty}, its quirks kept (PIDs outside it). */
    static void printResources(ResourceRequirements r) {
        Resources res = r.getReservations();
        Resources lim = r.getLimits();
        boolean reservations = res.getNanoCpus() > 0 || res.getMemoryBytes() > 0;
        boolean limits = lim.getNanoCpus() > 0 || lim.getMemoryBytes() > 0 || lim.getPids() > 0;
        if (reservations || limits) {
            System.out.println("Resources:");
            if (reservations) {
                System.out.println(" Reservations:");
                printCpuAndMemory(res);
            }
            if (limits) {
                System.out.println(" Limits:");
                printCpuAndMemory(lim);
            }
        }
        if (lim.getPids() > 0) {
            System.out.println("  PIDs:\t\t" + lim.getPids());
        }
    }

    private static void printCpuAndMemory(Resources r) {
        if (r.getNanoCpus() > 0) {
            System.out.println("  CPU:\t\t" + GoFormat.float64(r.getNanoCpus() / 1e9));
        }
        if (r.getMemoryBytes() > 0) {
            System.out.println("  Memory:\t" + GoFormat.bytesSize(r.getMemoryBytes()));
        }
    }

    @Command(name = "ls", aliases = "list", description = "List services")
    static final class Ls extends ClientCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs")
        boolean quiet;

        @Option(names = {"-f", "--filter"}, description = "Filter output based on conditions provided: name=NAME, id=ID, mode=replicated|global|replicated-job|global-job")
        List<String> filters = new ArrayList<>();

        @Override
        int run(DaemonClient client) {
            Filters f = Filters.parse(filters, java.util.Set.of("name", "id", "mode"));
            List<ServiceSummary> services = client.control().listServices(ListServicesRequest.getDefaultInstance())
                    .getServicesList().stream()
                    .filter(s -> f.service(s.getService()))
                    .sorted(Comparator.comparing((ServiceSummary s) -> s.getService().getSpec().getName()))
                    .toList();
            if (quiet) {
                services.forEach(s -> System.out.println(s.getService().getId()));
                return 0;
            }
            Table t = new Table("ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS");
            for (ServiceSummary s : services) {
                Service svc = s.getService();
                t.row(Ids.shortId(svc.getId()), svc.getSpec().getName(), DockerWords.of(svc.getSpec().getMode()).replace('-', ' '),
                        replicas(s), imageTag(svc.getSpec().getContainer().getImage()),
                        svc.getEndpointPortsList().stream().map(PortSpec::format).collect(Collectors.joining(", ")));
            }
            t.print(System.out);
            return 0;
        }
    }

    /** Docker's REPLICAS: {@code 3/3}; a job's with its completions, {@code 1/1 (3/5 completed)}. */
    static String replicas(ServiceSummary s) {
        String base = s.getRunning() + "/" + s.getDesired();
        return switch (s.getService().getSpec().getMode()) {
            case REPLICATED_JOB -> base + " (" + s.getCompleted() + "/" + s.getService().getSpec().getReplicas() + " completed)";
            case GLOBAL_JOB -> base + " (" + s.getCompleted() + "/" + (s.getDesired() + s.getCompleted()) + " completed)";
            default -> base;
        };
    }

    @Command(name = "ps", description = "List the tasks of one or more services")
    static final class Ps extends ClientCommand {
        @Option(names = "--no-trunc", description = "Do not truncate output")
        boolean noTrunc;

        @Option(names = {"-q", "--quiet"}, description = "Only display task IDs")
        boolean quiet;

        @Option(names = {"-f", "--filter"}, description = "Filter output based on conditions provided: desired-state=running|shutdown|accepted, node=NODE, name=NAME, id=ID")
        List<String> filters = new ArrayList<>();

        @Parameters(arity = "1..*", paramLabel = "SERVICE")
        List<String> services;

        @Override
        int run(DaemonClient client) {
            Filters f = Filters.parse(filters, java.util.Set.of("desired-state", "node", "name", "id"));
            ListTasksResponse r = client.control().listTasks(ListTasksRequest.newBuilder().addAllServices(services).build());
            List<Task> ordered = TaskRows.order(r.getTasksList().stream()
                    .filter(t -> f.task(t, r.getNodeHostnamesMap())).toList());
            if (quiet) {
                ordered.forEach(t -> System.out.println(t.getId()));
                return 0;
            }
            long now = System.currentTimeMillis();
            Table table = new Table("ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS");
            String previousSlot = null;
            for (Task t : ordered) {
                String slot = TaskNames.slotName(t.getServiceName(), t.getSlot(), t.getNodeId());
                String name = slot.equals(previousSlot) ? " \\_ " + slot : slot;
                previousSlot = slot;
                String err = t.getStatus().getErr();
                if (!noTrunc && err.length() > 30) {
                    err = err.substring(0, 29) + "…";
                }
                table.row(noTrunc ? t.getId() : Ids.shortId(t.getId()), name,
                        imageTag(t.getSpec().getImage()),
                        r.getNodeHostnamesOrDefault(t.getNodeId(), ""),
                        Human.state(t.getDesiredState()),
                        Human.state(t.getStatus().getState()) + " " + Human.ago(t.getStatus().getTimestampMs(), now),
                        err.isEmpty() ? "" : "\"" + err + "\"",
                        "");
            }
            table.print(System.out);
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more services")
    static final class Inspect extends ClientCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format")
        boolean pretty;

        @Parameters(arity = "1..*", paramLabel = "SERVICE")
        List<String> services;

        @Override
        int run(DaemonClient client) throws com.fasterxml.jackson.core.JsonProcessingException {
            com.fasterxml.jackson.databind.node.ArrayNode docs = ServiceJson.JSON.createArrayNode();
            for (String name : services) {
                Service s = client.control().getService(GetServiceRequest.newBuilder().setService(name).build()).getService();
                if (pretty) {
                    printPretty(s);
                } else {
                    docs.add(ServiceJson.of(s));
                }
            }
            if (!pretty) {
                System.out.println(ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(docs));
            }
            return 0;
        }

        private static void printPretty(Service s) {
            ServiceSpec spec = s.getSpec();
            System.out.println();
            System.out.println("ID:             " + s.getId());
            System.out.println("Name:           " + spec.getName());
            if (spec.getMode() == ServiceSpec.Mode.GLOBAL) {
                System.out.println("Service Mode:   Global");
            } else if (spec.getMode() == ServiceSpec.Mode.GLOBAL_JOB) {
                System.out.println("Service Mode:   Global job");
            } else if (spec.getMode() == ServiceSpec.Mode.REPLICATED_JOB) {
                System.out.println("Service Mode:   Replicated job");
                System.out.println(" Max Concurrent: " + spec.getMaxConcurrent());
                System.out.println(" Completions:   " + spec.getReplicas());
            } else {
                System.out.println("Service Mode:   Replicated");
                System.out.println(" Replicas:      " + spec.getReplicas());
            }
            if (s.hasUpdateStatus()) {
                UpdateStatus u = s.getUpdateStatus();
                System.out.println("UpdateStatus:");
                System.out.println(" State:\t\t" + DockerWords.of(u.getState()).replace('-', '_'));
                System.out.println(" Started:\t" + Human.ago(u.getStartedAtMs(), System.currentTimeMillis()));
                if (u.getCompletedAtMs() != 0) {
                    System.out.println(" Completed:\t" + Human.ago(u.getCompletedAtMs(), System.currentTimeMillis()));
                }
                System.out.println(" Message:\t" + u.getMessage());
            }
            // docker/cli's pretty template, Go's way of printing a list included.
            if (spec.getPlacement().getConstraintsCount() > 0) {
                System.out.println("Placement:");
                System.out.println(" Constraints:\t[" + String.join(" ", spec.getPlacement().getConstraintsList()) + "]");
            }
            if (spec.getPlacement().getPreferencesCount() > 0) {
                System.out.println("Placement:");
                System.out.println("Preferences:\t[" + spec.getPlacement().getPreferencesList().stream()
                        .map(p -> "spread=" + p.getSpread()).collect(java.util.stream.Collectors.joining(" ")) + "]");
            }
            if (spec.getPlacement().getMaxReplicas() > 0) {
                System.out.println(" Max Replicas Per Node:\t" + spec.getPlacement().getMaxReplicas());
            }
            System.out.println("RestartPolicy:");
            System.out.println(" Condition:     " + DockerWords.of(spec.getRestart().getCondition()));
            System.out.println(" Delay:         " + Human.goDuration(spec.getRestart().getDelayMs()));
            if (spec.getRestart().getMaxAttempts() > 0) {
                System.out.println(" Max attempts:  " + spec.getRestart().getMaxAttempts());
            }
            if (spec.getRestart().getWindowMs() > 0) {
                System.out.println(" Window:        " + Human.goDuration(spec.getRestart().getWindowMs()));
            }
            if (spec.getRestart().getMaxDelayMs() > spec.getRestart().getDelayMs()) {
                System.out.println(" Max delay:     " + Human.goDuration(spec.getRestart().getMaxDelayMs()));
            }
            if (spec.hasUpdate()) {
                printUpdateConfig("UpdateConfig", spec.getUpdate(), true);
                printUpdateConfig("RollbackConfig", spec.getRollback(), false);
            }
            System.out.println("ContainerSpec:");
            System.out.println(" Image:         " + image(spec.getContainer().getImage()));
            if (spec.getContainer().getArgsCount() > 0) {
                System.out.println(" Args:          " + String.join(" ", spec.getContainer().getArgsList()));
            }
            for (int i = 0; i < spec.getContainer().getMountsCount(); i++) {
                dev.flotilla.api.v1.Mount m = spec.getContainer().getMounts(i);
                if (i == 0) {
                    System.out.println("Mounts:");
                }
                System.out.println(" Target:\t" + m.getTarget());
                System.out.println("  Source:\t" + m.getSource());
                System.out.println("  ReadOnly:\t" + m.getReadOnly());
                System.out.println("  Type:\t\t" + MountOption.word(m.getType()));
            }
            if (spec.getContainer().getConfigsCount() > 0) {
                System.out.println("Configs:");
                for (dev.flotilla.api.v1.ConfigReference r : spec.getContainer().getConfigsList()) {
                    System.out.println(" Target:\t" + r.getFile().getName());
                    System.out.println("  Source:\t" + r.getConfigName());
                }
            }
            if (spec.getContainer().getSecretsCount() > 0) {
                System.out.println("Secrets:");
                for (dev.flotilla.api.v1.SecretReference r : spec.getContainer().getSecretsList()) {
                    System.out.println(" Target:\t" + r.getFile().getName());
                    System.out.println("  Source:\t" + r.getSecretName());
                }
            }
            printResources(spec.getContainer().getResources());
            System.out.println("Endpoint Mode:  " + DockerWords.of(s.getSpec().getEndpointMode()));
            if (s.getEndpointPortsCount() > 0) {
                System.out.println("Ports:");
                for (PortConfig p : s.getEndpointPortsList()) {
                    System.out.println(" PublishedPort = " + p.getPublishedPort());
                    System.out.println("  Protocol = " + DockerWords.of(p.getProtocol()));
                    System.out.println("  TargetPort = " + p.getTargetPort());
                    System.out.println("  PublishMode = " + DockerWords.of(p.getPublishMode()));
                }
            }
        }
    }

    /** Docker's UpdateConfig and RollbackConfig blocks of {@code inspect --pretty}. */
    private static void printUpdateConfig(String title, UpdateConfig c, boolean update) {
        System.out.println(title + ":");
        System.out.println(" Parallelism:\t" + c.getParallelism());
        if (c.getDelayMs() > 0) {
            System.out.println(" Delay:\t\t" + Human.goDuration(c.getDelayMs()));
        }
        System.out.println(" On failure:\t" + DockerWords.of(c.getFailureAction()));
        System.out.println(" Monitoring Period: " + Human.goDuration(c.getMonitorMs()));
        System.out.println(" Max failure ratio: " + Human.ratio(c.getMaxFailureRatio()));
        System.out.println(" " + (update ? "Update" : "Rollback") + " order:      " + DockerWords.of(c.getOrder()));
    }

    @Command(name = "scale", description = "Scale one or multiple replicated services")
    static final class Scale extends ClientCommand {
        @Option(names = {"-d", "--detach"}, description = "Exit immediately instead of waiting for the service to converge")
        boolean detach;

        @Parameters(arity = "1..*", paramLabel = "SERVICE=REPLICAS")
        List<String> targets;

        @Override
        int run(DaemonClient client) {
            List<String[]> parsed = new ArrayList<>();
            for (String target : targets) {
                int eq = target.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("invalid scale specifier '" + target + "'.\nSee 'flotilla service scale --help'.");
                }
                Flags.replicas(target.substring(eq + 1), "invalid replicas value " + target.substring(eq + 1));
                parsed.add(new String[] {target.substring(0, eq), target.substring(eq + 1)});
            }
            int failed = 0;
            for (String[] p : parsed) {
                long replicas = Flags.replicas(p[1], "invalid replicas value " + p[1]);
                Service s = client.control().scaleService(ScaleServiceRequest.newBuilder()
                        .setService(p[0]).setReplicas(replicas).build()).getService();
                System.out.println(p[0] + " scaled to " + replicas);
                if (!detach && Progress.await(client, s, s.getMeta().getUpdatedAtMs(), System.out) != 0) {
                    failed = 1;
                }
            }
            return failed;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more services")
    static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "SERVICE")
        List<String> services;

        @Override
        int run(DaemonClient client) {
            return Removal.each(services, name ->
                    client.control().removeService(RemoveServiceRequest.newBuilder().setService(name).build()));
        }
    }

    /** Docker shows images with their tag: "busybox" is "busybox:latest". */
    static String image(String ref) {
        int at = ref.indexOf('@');
        String named = at < 0 ? ref : ref.substring(0, at);
        int slash = named.lastIndexOf('/');
        return named.indexOf(':', slash + 1) < 0 && at < 0 ? ref + ":latest" : ref;
    }

    /** As {@code service ls} and {@code service ps} show an image: its tag, the pinned digest left out. */
    static String imageTag(String ref) {
        int at = ref.indexOf('@');
        return at < 0 ? image(ref) : image(ref.substring(0, at));
    }

    /** Task ordering of `service ps`: by service and slot, the current task first, then its history, newest first. */
    static final class TaskRows {
        static List<Task> order(List<Task> tasks) {
            return tasks.stream().sorted(Comparator
                    .comparing(Task::getServiceName)
                    .thenComparingLong(Task::getSlot)
                    .thenComparing(t -> t.getSlot() == 0 ? t.getNodeId() : "")
                    .thenComparing(t -> t.getDesiredState().getNumber() > TaskState.RUNNING_VALUE)
                    .thenComparing(Comparator.comparingLong((Task t) -> t.getMeta().getCreatedAtMs()).reversed()))
                    .toList();
        }
    }
}
