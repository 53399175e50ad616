package dev.flotilla.cli;

import dev.flotilla.api.v1.LogsGrpc;
import dev.flotilla.api.v1.ControlGrpc;
import dev.flotilla.api.v1.EngineGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's connection to one daemon's local socket. Every call carries a deadline. The JDK's own
 * unix-domain sockets (NIO), so the CLI needs no native transport on its class path.
 */
final class DaemonClient implements AutoCloseable {

    /** Long enough for a Raft write that waits for an election, short enough to never hang a shell. */
    static final long DEADLINE_SECONDS = 30;

    private final String host;
    private final EventLoopGroup group;
    /**
     * Runs the calls' callbacks. The CLI's own: gRPC's shared default one names its threads with
     * {@code String.format}, whose start-up costs a short command several milliseconds.
     */
    private final ExecutorService callbacks = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "flotilla-cli-callbacks");
        thread.setDaemon(true);
        return thread;
    });
    private final ManagedChannel channel;

    DaemonClient(String host) {
        this.host = host;
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socketPath(host)))
                .channelType(NioDomainSocketChannel.class)
                .eventLoopGroup(group)
                .executor(callbacks)
                .usePlaintext()
                .build();
    }

    /** {@code unix:///run/x.sock} or a bare path -> the path. */
    static String socketPath(String host) {
        if (host.startsWith("unix://")) {
            return host.substring("unix://".length());
        }
        if (host.contains("://")) {
            throw new IllegalArgumentException("unsupported host \"" + host + "\": use unix:///path/to/socket");
        }
        return host;
    }

    String host() {
        return host;
    }

    ControlGrpc.ControlBlockingStub control() {
        return ControlGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    EngineGrpc.EngineBlockingStub engine() {
        return EngineGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    /** For `service logs`, which may follow for as long as the user wants: no deadline. */
    LogsGrpc.LogsStub logs() {
        return LogsGrpc.newStub(channel);
    }

    /** For `exec`, which streams and runs as long as its command does: no deadline, as Docker's. */
    EngineGrpc.EngineStub engineStreams() {
        return EngineGrpc.newStub(channel);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        callbacks.shutdown();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
