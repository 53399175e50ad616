package dev.flotilla.ingress;

import static dev.flotilla.ingress.TestBackends.LOOPBACK;
import static dev.flotilla.ingress.TestBackends.readLine;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.EpollIo;
import dev.flotilla.ingress.TestBackends.TcpTask;
import dev.flotilla.testkit.NoLeaksExtension;
import dev.flotilla.testkit.Poll;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Timeout(120)
@ExtendWith(NoLeaksExtension.class)
class TcpProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static EventLoopGroup group;

    private IngressRouter router;
    private TcpTask a;
    private TcpTask b;
    private TcpTask c;

    @BeforeAll
    static void startLoops() {
        group = new MultiThreadIoEventLoopGroup(2, EpollIo.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void startTasks() throws IOException {
        router = new IngressRouter(group, ProxyOptions.DEFAULTS);
        a = new TcpTask("A");
        b = new TcpTask("B");
        c = new TcpTask("C");
    }

    @AfterEach
    void stopTasks() throws IOException {
        router.close();
        a.close();
        b.close();
        c.close();
    }

    private PublishedPort publish(IngressRouter r, Backend... backends) throws PortInUseException {
        return r.publish(0, Protocol.TCP, BackendPool.of(backends));
    }

    private static Socket connect(PublishedPort port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout((int) WAIT.toMillis());
        s.connect(new InetSocketAddress(LOOPBACK, port.port()), (int) WAIT.toMillis());
        return s;
    }

    /** The name of the task a new connection through {@code port} reaches. */
    private static String whoAnswers(PublishedPort port) throws IOException {
        try (Socket s = connect(port)) {
            return readLine(s.getInputStream());
        }
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toByteArray();
    }

    @Test
    void newConnectionsGoToTheNextTaskRoundRobin() throws Exception {
        PublishedPort port = publish(router, a.backend, b.backend, c.backend);

        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            answers.add(whoAnswers(port));
        }

        assertThat(answers).containsExactly("A", "B", "C", "A", "B", "C");
        assertThat(port.counters().connectionsAccepted()).isEqualTo(6);
    }

    @Test
    void taskLeavingThePoolGetsNoNewConnectionButKeepsItsOwn() throws Exception {
        PublishedPort port = publish(router, a.backend, b.backend, c.backend);
        try (Socket toA = connect(port)) {
            InputStream in = toA.getInputStream();
            assertThat(readLine(in)).isEqualTo("A");

            port.pool().setBackends(List.of(b.backend, c.backend));
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(whoAnswers(port));
            }

            assertThat(answers).containsOnly("B", "C");
            assertThat(answers.stream().filter("B"::equals).count()).isEqualTo(2);
            assertThat(a.accepted.get()).isEqualTo(1);
            toA.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readLine(in)).isEqualTo("still here");
        }
    }

    @Test
    void refusedTaskIsSkippedForTheNext() throws Exception {
        Backend gone = new Backend("gone", new InetSocketAddress(LOOPBACK, TestBackends.closedPort()));
        PublishedPort port = publish(router, gone, a.backend);

        assertThat(whoAnswers(port)).isEqualTo("A");
        assertThat(port.counters().backendConnectsRefused()).isEqualTo(1);
        assertThat(port.counters().connectionsFailed()).isZero();
    }

    @Test
    void clientIsClosedWhenNoTaskCanTakeIt() throws Exception {
        Backend gone = new Backend("gone", new InetSocketAddress(LOOPBACK, TestBackends.closedPort()));
        PublishedPort refusing = publish(router, gone);
        PublishedPort empty = publish(router);

        try (Socket s = connect(refusing)) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket s = connect(empty)) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        Poll.until(WAIT, () -> refusing.counters().connectionsFailed() == 1
                && empty.counters().connectionsFailed() == 1, "failures counted");
    }

    @Test
    void clientHalfCloseReachesTheTaskWhoseReplyStillArrives() throws Exception {
        PublishedPort port = publish(router, a.backend);
        try (Socket s = connect(port)) {
            InputStream in = s.getInputStream();
            assertThat(readLine(in)).isEqualTo("A");

            s.getOutputStream().write("last words\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();

            assertThat(new String(readToEnd(in), StandardCharsets.US_ASCII)).isEqualTo("last words\neof\n");
        }
    }

    @Test
    void bytesAndFinSentWhileTheProxyIsStillConnectingAreNotLost() throws Exception {
        // The first candidate never answers, so the client's bytes and FIN arrive during the connect
        // attempts; epoll hands them over even with AUTO_READ off.
        try (TestBackends.StalledListener stalled = new TestBackends.StalledListener();
             IngressRouter slow = new IngressRouter(group,
                     ProxyOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(300)))) {
            PublishedPort port = publish(slow, stalled.backend, a.backend);
            try (Socket s = connect(port)) {
                s.getOutputStream().write("early\n".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();

                assertThat(new String(readToEnd(s.getInputStream()), StandardCharsets.US_ASCII))
                        .isEqualTo("A\nearly\neof\n");
            }
            assertThat(port.counters().backendConnectsFailed()).isEqualTo(1);
        }
    }

    @Test
    void largeTransferArrivesIntact() throws Exception {
        assertLargeTransferArrivesIntact(router);
    }

    @Test
    void largeTransferArrivesIntactThroughTheSmallestRelayBuffer() throws Exception {
        // 16 KiB water marks: the relay stops and resumes reading many times per direction.
        try (IngressRouter small = new IngressRouter(group,
                ProxyOptions.DEFAULTS.withRelayBufferBytes(ProxyOptions.MIN_RELAY_BUFFER_BYTES))) {
            assertLargeTransferArrivesIntact(small);
        }
    }

    @Test
    void aClientThatHalfClosedFirstStillGetsTheWholeAnswer() throws Exception {
        // The client's FIN comes first and it reads slowly: once its channel has nothing to wait
        // for (EPOLLRDHUP seen, no read asked for, nothing queued) the answer fills its socket
        // buffer and needs EPOLLOUT, which Netty's own epoll handler could no longer register (EpollIo).
        int size = 16 << 20;
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            CompletableFuture<Void> answering = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 3; i++) {
                    try (Socket s = server.accept()) {
                        readToEnd(s.getInputStream());
                        OutputStream out = s.getOutputStream();
                        byte[] chunk = new byte[64 * 1024];
                        for (int left = size; left > 0; left -= chunk.length) {
                            out.write(chunk, 0, Math.min(chunk.length, left));
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            PublishedPort port = publish(router, new Backend("answer", new InetSocketAddress(LOOPBACK, server.getLocalPort())));
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket()) {
                    s.setReceiveBufferSize(4096);
                    s.setSoTimeout((int) WAIT.toMillis());
                    s.connect(new InetSocketAddress(LOOPBACK, port.port()));
                    s.shutdownOutput();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    long total = 0;
                    for (int n; (n = in.read(buf)) != -1; ) {
                        total += n;
                    }
                    assertThat(total).as("bytes of connection %d before its end of stream", i + 1).isEqualTo(size);
                }
            }
            answering.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** 64 MiB and a FIN each way through {@code r}, checked by CRC and by the port's byte counters. */
    private void assertLargeTransferArrivesIntact(IngressRouter r) throws Exception {
        int size = 64 << 20;
        PublishedPort port = publish(r, a.backend);
        try (Socket s = connect(port)) {
            InputStream in = s.getInputStream();
            assertThat(readLine(in)).isEqualTo("A");
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> send(s, size));

            CRC32 received = new CRC32();
            byte[] buf = new byte[256 * 1024];
            long total = 0;
            while (total < size) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, size - total));
                assertThat(n).as("bytes before end of stream").isPositive();
                received.update(buf, 0, n);
                total += n;
            }

            assertThat(received.getValue()).isEqualTo(sent.get());
            assertThat(new String(readToEnd(in), StandardCharsets.US_ASCII)).isEqualTo("eof\n");
        }
        assertThat(port.counters().bytesToBackends()).isEqualTo(size);
        assertThat(port.counters().bytesToClients()).isEqualTo(size + "A\neof\n".length());
    }

    /** Writes {@code size} pseudo-random bytes then a FIN; returns their CRC32. */
    private static long send(Socket s, int size) {
        try {
            OutputStream out = s.getOutputStream();
            Random random = new Random(42);
            CRC32 crc = new CRC32();
            byte[] chunk = new byte[128 * 1024];
            for (int left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                int n = Math.min(chunk.length, left);
                crc.update(chunk, 0, n);
                out.write(chunk, 0, n);
            }
            s.shutdownOutput();
            return crc.getValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void quietConnectionIsCutOnlyWhenAnIdleTimeoutIsSet() throws Exception {
        try (IngressRouter cutting = new IngressRouter(group,
                ProxyOptions.DEFAULTS.withTcpIdleTimeout(Duration.ofMillis(300)))) {
            PublishedPort port = publish(cutting, a.backend);
            try (Socket s = connect(port)) {
                InputStream in = s.getInputStream();
                assertThat(readLine(in)).isEqualTo("A");

                assertThat(in.read()).as("end of stream after the idle timeout").isEqualTo(-1);
            }
            assertThat(port.counters().connectionsIdleClosed()).isEqualTo(1);
            Poll.until(WAIT, () -> a.open.isEmpty(), "task side closed");
        }
    }

    @Test
    void unpublishingClosesTheProxiedConnections() throws Exception {
        PublishedPort port = publish(router, a.backend);
        try (Socket s = connect(port)) {
            InputStream in = s.getInputStream();
            assertThat(readLine(in)).isEqualTo("A");

            assertThat(router.unpublish(port.port(), Protocol.TCP)).isTrue();

            assertThat(readToEnd(in)).isEmpty();
            Poll.until(WAIT, () -> a.open.isEmpty(), "task side closed");
        }
        assertThat(router.published(port.port(), Protocol.TCP)).isEmpty();
    }
}
