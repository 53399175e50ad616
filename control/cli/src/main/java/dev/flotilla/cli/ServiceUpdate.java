package dev.flotilla.cli;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.GetServiceRequest;
import dev.flotilla.api.v1.ListNetworksRequest;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.Placement;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceResponse;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.UpdateServiceRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla service update} and {@code service rollback}: Docker's rolling update and its undo. */
final class ServiceUpdate {

    private ServiceUpdate() {
    }

    @Command(name = "update", description = "Update a service")
    static final class Update extends ClientCommand {
        @Option(names = "--image", description = "Service image tag")
        String image;

        @Option(names = "--args", description = "Service command args")
        String args;

        @Option(names = "--env-add", description = "Add or update an environment variable")
        List<String> envAdd = new ArrayList<>();

        @Option(names = "--env-rm", description = "Remove an environment variable")
        List<String> envRm = new ArrayList<>();

        @Option(names = "--replicas", description = "Number of tasks", paramLabel = "N")
        String replicas;

        @Option(names = "--publish-add", description = "Add or update a published port: PUBLISHED:TARGET[/tcp|/udp]")
        List<String> publishAdd = new ArrayList<>();

        @Option(names = "--publish-rm", description = "Remove a published port by its target port: TARGET[/tcp|/udp]")
        List<String> publishRm = new ArrayList<>();

        @Option(names = "--network-add", description = "Add a network")
        List<String> networkAdd = new ArrayList<>();

        @Option(names = "--network-rm", description = "Remove a network")
        List<String> networkRm = new ArrayList<>();

        @Option(names = "--hostname", description = "Container hostname")
        String hostname;

        @Option(names = "--secret-add", paramLabel = "NAME|source=NAME[,target=FILE,...]", description = "Add or update a secret on a service")
        List<String> secretAdd = new ArrayList<>();

        @Option(names = "--secret-rm", paramLabel = "NAME", description = "Remove a secret")
        List<String> secretRm = new ArrayList<>();

        @Option(names = "--config-add", paramLabel = "NAME|source=NAME[,target=FILE,...]", description = "Add or update a config file on a service")
        List<String> configAdd = new ArrayList<>();

        @Option(names = "--config-rm", paramLabel = "NAME", description = "Remove a configuration file")
        List<String> configRm = new ArrayList<>();

        @Option(names = "--mount-add", paramLabel = "type=volume|bind|tmpfs,source=,target=[,...]", description = "Add or update a mount on a service")
        List<String> mountAdd = new ArrayList<>();

        @Option(names = "--mount-rm", paramLabel = "TARGET", description = "Remove a mount by its target path")
        List<String> mountRm = new ArrayList<>();

        @Option(names = "--constraint-add", paramLabel = "KEY==VALUE", description = "Add or update a placement constraint")
        List<String> constraintAdd = new ArrayList<>();

        @Option(names = "--constraint-rm", paramLabel = "KEY==VALUE", description = "Remove a constraint")
        List<String> constraintRm = new ArrayList<>();

        @Option(names = "--placement-pref-add", paramLabel = "spread=LABEL", description = "Add a placement preference")
        List<String> placementPrefAdd = new ArrayList<>();

        @Option(names = "--placement-pref-rm", paramLabel = "spread=LABEL", description = "Remove a placement preference")
        List<String> placementPrefRm = new ArrayList<>();

        @Option(names = "--replicas-max-per-node", paramLabel = "N", description = "Maximum number of tasks per node (0 = unlimited)")
        String maxReplicasPerNode;

        @Mixin
        RestartFlags restartFlags;

        @Mixin
        HealthFlags healthFlags;

        @Mixin
        ResourceFlags resourceFlags;

        @Option(names = "--stop-signal", paramLabel = "SIGNAL", description = "Signal to stop the container")
        String stopSignal;

        @Option(names = "--stop-grace-period", paramLabel = "DURATION", description = "Time to wait before force killing a container (ns|us|ms|s|m|h)")
        String stopGracePeriod;

        @Mixin
        UpdateFlags updateFlags;

        @Option(names = "--force", description = "Force update even if no changes require it")
        boolean force;

        @Option(names = "--rollback", description = "Rollback to previous specification")
        boolean rollback;

        @Option(names = {"-d", "--detach"}, description = "Exit immediately instead of waiting for the service to converge")
        boolean detach;

        @Option(names = {"-q", "--quiet"}, description = "Suppress progress output")
        boolean quiet;

        @Option(names = "--no-resolve-image", description = "Do not query the registry to resolve image digest")
        boolean noResolveImage;

        @Option(names = "--with-registry-auth", description = "Send registry authentication details to swarm agents")
        boolean withRegistryAuth;

        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;

        @Override
        int run(DaemonClient client) {
            if (rollback) {
                Set<String> alone = Set.of("--rollback", "--detach", "--quiet", "--no-resolve-image", "--with-registry-auth");
                for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
                    if (!alone.contains(o.longestName())) {
                        throw new IllegalArgumentException("other flags may not be combined with --rollback");
                    }
                }
            }
            // As docker/cli: the registry is asked for a digest only when --image names the image anew.
            return submit(client, service, rollback, s -> updated(client, s.getSpec()), detach, quiet,
                    noResolveImage || image == null);
        }

        private ServiceSpec updated(DaemonClient client, ServiceSpec current) {
            ServiceSpec.Builder b = current.toBuilder();
            ContainerSpec.Builder c = b.getContainerBuilder();
            if (image != null) {
                c.setImage(image);
            }
            if (withRegistryAuth) {
                DockerConfig.forUser().credentials(DockerConfig.registryOf(c.getImage())).ifPresent(c::setRegistryAuth);
            }
            if (args != null) {
                c.clearArgs().addAllArgs(ShellWords.split(args));
            }
            if (!envAdd.isEmpty() || !envRm.isEmpty()) {
                List<String> env = new ArrayList<>(c.getEnvList());
                for (String rm : envRm) {
                    env.removeIf(e -> e.equals(rm) || e.startsWith(rm + "="));
                }
                for (String add : envAdd) {
                    if (add.isEmpty() || add.startsWith("=")) {
                        throw new IllegalArgumentException("invalid argument \"" + add + "\" for \"--env-add\" flag: variable name is empty");
                    }
                    String key = add.contains("=") ? add.substring(0, add.indexOf('=')) : add;
                    env.removeIf(e -> e.equals(key) || e.startsWith(key + "="));
                    env.add(add);
                }
                c.clearEnv().addAllEnv(env);
            }
            if (hostname != null) {
                c.setHostname(hostname);
            }
            if (!secretAdd.isEmpty() || !secretRm.isEmpty()) {
                c.clearSecrets().addAllSecrets(FileRefOption.updateSecrets(current.getContainer().getSecretsList(), secretAdd, secretRm));
            }
            if (!configAdd.isEmpty() || !configRm.isEmpty()) {
                c.clearConfigs().addAllConfigs(FileRefOption.updateConfigs(current.getContainer().getConfigsList(), configAdd, configRm));
            }
            if (!mountAdd.isEmpty() || !mountRm.isEmpty()) {
                c.clearMounts().addAllMounts(MountOption.update(current.getContainer().getMountsList(), mountAdd, mountRm));
            }
            StopFlags.apply(c, stopSignal, stopGracePeriod);
            HealthConfig health = healthFlags.apply(c.getHealthcheck());
            if (!health.equals(c.getHealthcheck())) {
                c.setHealthcheck(health);
            }
            ResourceRequirements resources = resourceFlags.apply(c.getResources());
            if (!resources.equals(c.getResources())) {
                c.setResources(resources);
            }
            if (force) {
                c.setForceUpdate(c.getForceUpdate() + 1);
            }
            if (replicas != null) {
                if (current.getMode() != ServiceSpec.Mode.REPLICATED && current.getMode() != ServiceSpec.Mode.REPLICATED_JOB) {
                    throw new IllegalArgumentException("replicas can only be used with replicated or replicated-job mode");
                }
                b.setReplicas(Flags.replicas(replicas));
            }
            if (!publishAdd.isEmpty() || !publishRm.isEmpty()) {
                List<PortConfig> ports = new ArrayList<>(b.getPortsList());
                for (String rm : publishRm) {
                    PortConfig gone = PortSpec.parse(rm);
                    ports.removeIf(p -> p.getTargetPort() == gone.getTargetPort() && p.getProtocol() == gone.getProtocol());
                }
                for (String add : publishAdd) {
                    PortConfig p = PortSpec.parse(add);
                    ports.removeIf(q -> q.getPublishedPort() != 0 && q.getPublishedPort() == p.getPublishedPort()
                            && q.getProtocol() == p.getProtocol());
                    ports.add(p);
                }
                b.clearPorts().addAllPorts(ports);
            }
            if (!networkAdd.isEmpty() || !networkRm.isEmpty()) {
                List<String> networks = new ArrayList<>(b.getNetworksList());
                List<Network> known = client.control().listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList();
                for (String rm : networkRm) {
                    String id = known.stream().filter(n -> n.getSpec().getName().equals(rm) || n.getId().startsWith(rm))
                            .map(Network::getId).findFirst().orElse(rm);
                    if (!networks.remove(id)) {
                        throw new IllegalArgumentException("network " + rm + " is not attached to the service");
                    }
                    b.clearNetworkAliases().addAllNetworkAliases(current.getNetworkAliasesList().stream()
                            .filter(a -> !a.getNetwork().equals(id)).toList());
                }
                networks.addAll(networkAdd);
                b.clearNetworks().addAllNetworks(networks);
            }
            if (maxReplicasPerNode != null && current.getMode() != ServiceSpec.Mode.REPLICATED) {
                throw new IllegalArgumentException("replicas-max-per-node can only be used with replicated mode");
            }
            Placement placement = PlacementFlags.update(current.getPlacement(), constraintAdd, constraintRm,
                    placementPrefAdd, placementPrefRm, maxReplicasPerNode);
            if (!placement.equals(current.getPlacement())) {
                b.setPlacement(placement);
            }
            b.setRestart(restartFlags.apply(current.getRestart()));
            if (current.getMode() == ServiceSpec.Mode.REPLICATED_JOB || current.getMode() == ServiceSpec.Mode.GLOBAL_JOB) {
                if (updateFlags.any()) {
                    throw new IllegalArgumentException("update and rollback configuration is not supported for jobs");
                }
                return b.build();
            }
            b.setUpdate(updateFlags.update(current.hasUpdate() ? current.getUpdate() : UpdateFlags.defaults()));
            b.setRollback(updateFlags.rollback(current.hasRollback() ? current.getRollback() : UpdateFlags.defaults()));
            return b.build();
        }
    }

    @Command(name = "rollback", description = "Revert changes to a service's configuration")
    static final class Rollback extends ClientCommand {
        @Option(names = {"-d", "--detach"}, description = "Exit immediately instead of waiting for the service to converge")
        boolean detach;

        @Option(names = {"-q", "--quiet"}, description = "Suppress progress output")
        boolean quiet;

        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;

        @Override
        int run(DaemonClient client) {
            return submit(client, service, true, null, detach, quiet, false);
        }
    }

    /**
     * Reads the service, sends the spec {@code change} makes of it (or the rollback) at the version
     * read, so a concurrent change is refused rather than overwritten; prints the service as given,
     * then follows the rollout unless {@code detach}. Returns the exit code.
     */
    private static int submit(DaemonClient client, String service, boolean rollback, Function<Service, ServiceSpec> change,
            boolean detach, boolean quiet, boolean noResolveImage) {
        Service s = client.control().getService(GetServiceRequest.newBuilder().setService(service).build()).getService();
        UpdateServiceRequest.Builder request = UpdateServiceRequest.newBuilder()
                .setService(s.getId()).setVersion(s.getMeta().getVersion()).setRollback(rollback)
                .setNoResolveImage(noResolveImage);
        if (!rollback) {
            request.setSpec(change.apply(s));
        }
        ServiceResponse response = client.control().updateService(request.build());
        response.getWarningsList().forEach(System.err::print);
        Service after = response.getService();
        System.out.println(service);
        if (detach) {
            return 0;
        }
        // A job has no rollout: the change ran it again, and its progress is the new iteration's.
        return after.hasJobStatus() ? JobProgress.await(client, after, quiet ? new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) : System.out)
                : UpdateProgress.await(client, after, rollback, quiet);
    }
}
