package dev.flotilla.ingress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Plain-socket backends standing in for a service's tasks. */
final class TestBackends {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private TestBackends() {
    }

    /**
     * A TCP task that sends its name and a newline on connect, echoes every byte it reads, and on
     * end of stream sends {@code eof\n} and closes: so a client sees which task it reached and that
     * the task saw its FIN.
     */
    static final class TcpTask implements AutoCloseable {
        final String name;
        final Backend backend;
        final AtomicInteger accepted = new AtomicInteger();
        final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private final ServerSocket server;
        private final ExecutorService threads = Executors.newCachedThreadPool();

        TcpTask(String name) throws IOException {
            this.name = name;
            this.server = new ServerSocket(0, 50, LOOPBACK);
            this.backend = new Backend(name, new InetSocketAddress(LOOPBACK, server.getLocalPort()));
            threads.execute(this::acceptLoop);
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    open.add(s);
                    threads.execute(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) != -1; ) {
                    out.write(buf, 0, n);
                }
                out.write("eof\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // the client went away; nothing to report to it
            } finally {
                open.remove(s);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : open) {
                s.close();
            }
            threads.shutdownNow();
        }
    }

    /** A UDP task that answers each datagram with {@code name:payload}. */
    static final class UdpTask implements AutoCloseable {
        final String name;
        final Backend backend;
        final Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();
        private final DatagramSocket socket;
        private final Thread thread;

        UdpTask(String name) throws SocketException {
            this.name = name;
            this.socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
            this.backend = new Backend(name, new InetSocketAddress(LOOPBACK, socket.getLocalPort()));
            this.thread = new Thread(this::serve, "udp-task-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        private void serve() {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    peers.add((InetSocketAddress) p.getSocketAddress());
                    byte[] reply = (name + ":" + new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII))
                            .getBytes(StandardCharsets.US_ASCII);
                    socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /** Reads up to and excluding the next newline; null at end of stream. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                return line.toString(StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }

    /**
     * A listener whose accept queue is full and never drained: the kernel drops further SYNs, so a
     * connect to it hangs until the connector's timeout, as to a task on a node that went dark.
     */
    static final class StalledListener implements AutoCloseable {
        final Backend backend;
        private final ServerSocket server;
        private final List<SocketChannel> fillers = new ArrayList<>();

        StalledListener() throws IOException {
            server = new ServerSocket(0, 1, LOOPBACK);
            backend = new Backend("stalled", new InetSocketAddress(LOOPBACK, server.getLocalPort()));
            for (int i = 0; i < 4; i++) {
                SocketChannel filler = SocketChannel.open();
                filler.configureBlocking(false);
                filler.connect(backend.address());
                fillers.add(filler);
            }
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel filler : fillers) {
                filler.close();
            }
            server.close();
        }
    }

    /** A port nothing listens on: bound then released, so a connect to it is refused. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }
}
