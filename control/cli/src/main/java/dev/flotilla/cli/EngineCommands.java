package dev.flotilla.cli;

import com.google.protobuf.ByteString;
import dev.flotilla.api.v1.ExecInput;
import dev.flotilla.api.v1.ExecOutput;
import dev.flotilla.api.v1.ExecStart;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.flotilla.api.v1.ContainerSummary;
import dev.flotilla.api.v1.ImageSummary;
import dev.flotilla.api.v1.ImportImageRequest;
import dev.flotilla.api.v1.InfoRequest;
import dev.flotilla.api.v1.InfoResponse;
import dev.flotilla.api.v1.ListContainersRequest;
import dev.flotilla.api.v1.ListImagesRequest;
import dev.flotilla.api.v1.PullImageRequest;
import dev.flotilla.api.v1.PullImageResponse;
import dev.flotilla.api.v1.RegistryAuth;
import dev.flotilla.api.v1.RemoveImageRequest;
import dev.flotilla.api.v1.RemoveImageResponse;
import dev.flotilla.api.v1.RemoveContainerRequest;
import dev.flotilla.common.Ids;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands on this node's engine: images and containers. */
final class EngineCommands {

    private EngineCommands() {
    }

    @Command(name = "image", description = "Manage images")
    static final class Image {
        /** Its subcommands, in help order; {@link CommandTree} builds only the one a command line names. */
        static final List<Class<?>> SUBCOMMANDS = List.of(ImageImport.class, ImageLs.class, ImagePull.class, ImageRm.class);
    }

    @Command(name = "pull", description = "Download an image from a registry onto this node")
    static final class ImagePull extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME[:TAG|@DIGEST]")
        String reference;

        @Override
        int run(DaemonClient client) {
            // As long as the daemon's own bound on a pull (15 minutes), not the CLI's 30 s.
            PullImageResponse pull = client.engine().withDeadlineAfter(16, java.util.concurrent.TimeUnit.MINUTES)
                    .pullImage(PullImageRequest.newBuilder().setReference(reference).setAuth(DockerConfig.forUser()
                            .credentials(DockerConfig.registryOf(reference)).orElse(RegistryAuth.getDefaultInstance()))
                            .build());
            String named = pull.getImage().getReference();
            System.out.println("Digest: " + pull.getDigest());
            System.out.println(pull.getDownloaded() ? "Status: Downloaded newer image for " + named
                    : "Status: Image is up to date for " + named);
            System.out.println(named);
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more images from this node")
    static final class ImageRm extends ClientCommand {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "IMAGE")
        List<String> references = new ArrayList<>();

        @Override
        int run(DaemonClient client) {
            int exit = 0;
            for (String reference : references) {
                try {
                    RemoveImageResponse r = client.engine().removeImage(
                            RemoveImageRequest.newBuilder().setReference(reference).build());
                    r.getUntaggedList().forEach(u -> System.out.println("Untagged: " + u));
                    if (!r.getDeleted().isEmpty()) {
                        System.out.println("Deleted: " + r.getDeleted());
                    }
                } catch (io.grpc.StatusRuntimeException e) {
                    System.err.println("Error response from daemon: " + e.getStatus().getDescription());
                    exit = 1;
                }
            }
            return exit;
        }
    }

    @Command(name = "import", description = "Import a rootfs tarball or directory as an image")
    static final class ImageImport extends ClientCommand {
        @Option(names = {"-c", "--change"}, description = "Apply a Dockerfile instruction to the image: CMD, ENV or HEALTHCHECK")
        List<String> changes = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "NAME[:TAG]")
        String reference;

        @Parameters(index = "1", paramLabel = "PATH")
        Path path;

        @Override
        int run(DaemonClient client) {
            Path absolute = path.toAbsolutePath().normalize();
            if (!Files.exists(absolute)) {
                throw new Main.CliException("Error: " + path + ": no such file or directory");
            }
            ImportImageRequest.Builder request = ImportImageRequest.newBuilder()
                    .setReference(reference).setPath(absolute.toString());
            for (String change : changes) {
                ImageChanges.apply(change, request);
            }
            ImageSummary image = client.engine().importImage(request.build());
            System.out.println(image.getId());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List images")
    static final class ImageLs extends ClientCommand {
        @Override
        int run(DaemonClient client) {
            long now = System.currentTimeMillis();
            Table t = new Table("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
            client.engine().listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
                    .sorted(Comparator.comparing(ImageSummary::getReference))
                    .forEach(i -> {
                        // NAME:TAG, or NAME@DIGEST for an image pulled by digest only (TAG <none>, as Docker's).
                        int at = i.getReference().indexOf('@');
                        int colon = at >= 0 ? at : i.getReference().lastIndexOf(':');
                        String id = i.getId().startsWith("sha256:") ? i.getId().substring(7) : i.getId();
                        t.row(i.getReference().substring(0, colon), at >= 0 ? "<none>" : i.getReference().substring(colon + 1),
                                Ids.shortId(id), Human.ago(i.getCreatedMs(), now), size(i.getSize()));
                    });
            t.print(System.out);
            return 0;
        }

        static String size(long bytes) {
            if (bytes < 1000) {
                return bytes + "B";
            } else if (bytes < 1_000_000) {
                return String.format("%.1fkB", bytes / 1e3);
            } else if (bytes < 1_000_000_000) {
                return String.format("%.1fMB", bytes / 1e6);
            }
            return String.format("%.2fGB", bytes / 1e9);
        }
    }

    @Command(name = "ps", description = "List this node's containers")
    static final class Ps extends ClientCommand {
        @Option(names = {"-a", "--all"}, description = "Show all containers (default shows just running)")
        boolean all;

        @Option(names = {"-q", "--quiet"}, description = "Only display container IDs")
        boolean quiet;

        @Override
        int run(DaemonClient client) {
            List<ContainerSummary> containers = client.engine()
                    .listContainers(ListContainersRequest.newBuilder().setAll(all).build()).getContainersList().stream()
                    .sorted(Comparator.comparingLong(ContainerSummary::getCreatedMs).reversed())
                    .toList();
            if (quiet) {
                containers.forEach(c -> System.out.println(Ids.shortId(c.getId())));
                return 0;
            }
            long now = System.currentTimeMillis();
            Table t = new Table("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
            for (ContainerSummary c : containers) {
                String command = c.getCommand().length() > 20 ? c.getCommand().substring(0, 19) + "…" : c.getCommand();
                String status = c.getStatus().equals("Up")
                        ? "Up " + Human.duration(java.time.Duration.ofMillis(Math.max(0, now - c.getCreatedMs())))
                        : c.getStatus();
                t.row(Ids.shortId(c.getId()), ServiceCommands.image(c.getImage()), "\"" + command + "\"",
                        Human.ago(c.getCreatedMs(), now), status, "", c.getName());
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "exec", description = "Run a command in a running container")
    static final class Exec extends ClientCommand {
        @Option(names = {"-i", "--interactive"}, description = "Keep STDIN open")
        boolean interactive;

        @Option(names = {"-t", "--tty"}, description = "Accepted for Docker compatibility; no TTY is allocated")
        boolean tty;

        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND")
        List<String> command;

        /**
         * The daemon runs the command (runc exec) and streams its output back: stdout and stderr
         * to this process's, stdin from this process's when {@code -i}, the exit code as ours.
         */
        @Override
        int run(DaemonClient client) throws Exception {
            CountDownLatch done = new CountDownLatch(1);
            AtomicInteger exitCode = new AtomicInteger(-1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            StreamObserver<ExecInput> in = client.engineStreams().exec(new StreamObserver<>() {
                @Override
                public void onNext(ExecOutput o) {
                    try {
                        switch (o.getOutputCase()) {
                            case STDOUT -> {
                                o.getStdout().writeTo(System.out);
                                System.out.flush();
                            }
                            case STDERR -> {
                                o.getStderr().writeTo(System.err);
                                System.err.flush();
                            }
                            case EXIT_CODE -> exitCode.set(o.getExitCode());
                            default -> { }
                        }
                    } catch (java.io.IOException e) {
                        failure.compareAndSet(null, e);
                    }
                }

                @Override
                public void onError(Throwable t) {
                    failure.compareAndSet(null, t);
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    done.countDown();
                }
            });
            in.onNext(ExecInput.newBuilder().setStart(ExecStart.newBuilder().setContainer(container)
                    .addAllCommand(command).setInteractive(interactive)).build());
            if (interactive) {
                Thread stdin = new Thread(() -> {
                    byte[] buf = new byte[16 * 1024];
                    try {
                        for (int n; (n = System.in.read(buf)) > 0; ) {
                            synchronized (in) {
                                in.onNext(ExecInput.newBuilder().setStdin(ByteString.copyFrom(buf, 0, n)).build());
                            }
                        }
                    } catch (java.io.IOException | RuntimeException e) {
                        // stdin closed or the call ended: the half-close below tells the command
                    }
                    synchronized (in) {
                        in.onCompleted();
                    }
                }, "flotilla-exec-stdin");
                stdin.setDaemon(true);
                stdin.start();
            } else {
                in.onCompleted();
            }
            done.await();
            Throwable t = failure.get();
            if (t instanceof RuntimeException r) {
                throw r;
            } else if (t != null) {
                throw new Main.CliException("exec: " + t.getMessage());
            }
            return exitCode.get();
        }
    }

    @Command(name = "rm", description = "Remove one or more containers")
    static final class Rm extends ClientCommand {
        @Option(names = {"-f", "--force"}, description = "Force the removal of a running container (uses SIGKILL)")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> containers;

        @Override
        int run(DaemonClient client) {
            for (String name : containers) {
                client.engine().removeContainer(RemoveContainerRequest.newBuilder().setContainer(name).setForce(force).build());
                System.out.println(name);
            }
            return 0;
        }
    }

    @Command(name = "info", description = "Display system-wide information")
    static final class Info extends ClientCommand {
        @Override
        int run(DaemonClient client) {
            InfoResponse r = client.engine().info(InfoRequest.getDefaultInstance());
            System.out.println("Server Version: " + r.getVersion());
            System.out.println("Flotilla Root Dir: " + r.getDataRoot());
            System.out.println("Swarm: " + r.getSwarmState());
            if (r.getSwarmState().equals("active")) {
                System.out.println(" NodeID: " + r.getNodeId());
                System.out.println(" Is Manager: " + r.getManager());
                System.out.println(" Node Address: " + r.getNodeAddr());
                System.out.println(" Manager Addresses:");
                r.getManagersList().forEach(m -> System.out.println("  " + m));
            }
            return 0;
        }
    }
}
