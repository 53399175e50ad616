package dev.flotilla.cli;

import dev.flotilla.api.v1.ControlGrpc;
import dev.flotilla.api.v1.ListNodesRequest;
import dev.flotilla.api.v1.ListNodesResponse;
import dev.flotilla.api.v1.ListServicesRequest;
import dev.flotilla.api.v1.ListServicesResponse;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.ServiceSummary;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The build's training run for the CLI's class-data archive (see control/cli/pom.xml and
 * bin/flotilla): answers {@code service ls} and {@code node ls} on a throwaway unix socket inside
 * this JVM and runs those commands against it, so the archive holds the classes of a whole
 * successful call (HTTP/2 frames, the answer's messages, the table), not only those of a failed
 * connect. Not a command users run.
 */
final class CdsTraining {

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("flotilla-cds-training");
        Path socket = dir.resolve("training.sock");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Server server = NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioServerDomainSocketChannel.class)
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                .addService(new Answers())
                .build()
                .start();
        int failed = 0;
        try {
            String host = "unix://" + socket;
            for (String[] command : new String[][] {
                    {"-H", host, "service", "ls"}, {"-H", host, "node", "ls"}, {"--version"}}) {
                failed += Main.run(command) == 0 ? 0 : 1;
            }
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            deleteQuietly(socket);
            deleteQuietly(dir);
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            System.err.println("cannot remove " + path + ": " + e.getMessage());
        }
    }

    /** One service and one node, enough for every column the two commands print. */
    private static final class Answers extends ControlGrpc.ControlImplBase {
        @Override
        public void listServices(ListServicesRequest request, StreamObserver<ListServicesResponse> answer) {
            Service service = Service.newBuilder()
                    .setId("trainingservice0000000000")
                    .setSpec(ServiceSpec.newBuilder().setName("web"))
                    .build();
            answer.onNext(ListServicesResponse.newBuilder()
                    .addServices(ServiceSummary.newBuilder().setService(service).setRunning(1).setDesired(1))
                    .build());
            answer.onCompleted();
        }

        @Override
        public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> answer) {
            answer.onNext(ListNodesResponse.newBuilder()
                    .addNodes(Node.newBuilder().setId("trainingnode0000000000000").setHostname("training"))
                    .setSelfNodeId("trainingnode0000000000000")
                    .build());
            answer.onCompleted();
        }
    }
}
