package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/** TCP and UDP echo exchanges between Java sockets created inside task namespaces. */
final class Traffic {

    private Traffic() {
    }

    /** Sends {@code size} random bytes over TCP from clientNs to server:port in serverNs and checks the echo. */
    static void tcpEcho(String clientNs, String serverNs, Ipv4Address server, int port, int size) throws Exception {
        CompletableFuture<ServerSocket> listening = Netlab.inNamespace(serverNs, () -> {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(server.toInetAddress(), port));
            socket.setSoTimeout(20_000);
            return socket;
        });
        try (ServerSocket listener = Netlab.await(listening)) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (Socket peer = listener.accept()) {
                    peer.getInputStream().transferTo(peer.getOutputStream());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] sent = new byte[size];
            new Random(size).nextBytes(sent);
            try (Socket client = Netlab.await(Netlab.inNamespace(clientNs, () -> {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(server.toInetAddress(), port), 10_000);
                socket.setSoTimeout(20_000);
                return socket;
            }))) {
                // Write on another thread: writing all before reading would stall on full windows.
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        OutputStream out = client.getOutputStream();
                        out.write(sent);
                        client.shutdownOutput();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                InputStream in = client.getInputStream();
                byte[] received = in.readAllBytes();
                Netlab.await(writer);
                assertThat(received.length).isEqualTo(size);
                assertThat(Arrays.equals(received, sent)).as("echoed bytes equal").isTrue();
            }
            Netlab.await(echo);
        }
    }

    /** A UDP datagram of {@code size} bytes from clientNs to server:port, echoed back; retried briefly. */
    static void udpEcho(String clientNs, String serverNs, Ipv4Address server, int port, int size) throws Exception {
        CompletableFuture<DatagramSocket> bound = Netlab.inNamespace(serverNs, () -> {
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress(server.toInetAddress(), port));
            socket.setSoTimeout(20_000);
            return socket;
        });
        try (DatagramSocket serverSocket = Netlab.await(bound)) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try {
                    DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
                    serverSocket.receive(packet);
                    serverSocket.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] payload = new byte[size];
            new Random(size).nextBytes(payload);
            byte[] answer = Netlab.await(Netlab.inNamespace(clientNs, () -> {
                try (DatagramSocket client = new DatagramSocket()) {
                    client.setSoTimeout(2_000);
                    DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
                    for (int attempt = 0; attempt < 5; attempt++) {
                        client.send(new DatagramPacket(payload, size, new InetSocketAddress(server.toInetAddress(), port)));
                        try {
                            client.receive(reply);
                            return Arrays.copyOf(reply.getData(), reply.getLength());
                        } catch (SocketTimeoutException lost) {
                            // UDP: try again, the echo server is still waiting
                        }
                    }
                    return new byte[0];
                }
            }));
            assertThat(Arrays.equals(answer, payload)).as("UDP echo of %d bytes", size).isTrue();
            Netlab.await(echo);
        }
    }
}
