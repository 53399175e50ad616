package dev.flotilla.daemon;

import com.google.protobuf.ByteString;
import dev.flotilla.api.v1.ExecInput;
import dev.flotilla.api.v1.ExecOutput;
import dev.flotilla.api.v1.ExecStart;
import dev.flotilla.cluster.rpc.Errors;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code flotilla exec}: {@code runc exec} run by the daemon, its stdin fed from the client's
 * messages, its stdout and stderr streamed back as they come, then its exit code. The command
 * runs in the daemon's mount namespace, so the client may be anywhere (under `ip netns exec`,
 * which remounts /sys and leaves runc no cgroup mount, say). A client that goes away kills it.
 */
final class ExecSession implements io.grpc.stub.StreamObserver<ExecInput> {

    private static final Logger log = LoggerFactory.getLogger(ExecSession.class);
    private static final int CHUNK = 16 * 1024;

    private final ServerCallStreamObserver<ExecOutput> out;
    /** Container and command -> the argv of {@code runc exec}; throws a status for a container that cannot exec. */
    private final Function<ExecStart, List<String>> argv;
    private Process process;
    private OutputStream stdin;

    ExecSession(io.grpc.stub.StreamObserver<ExecOutput> out, Function<ExecStart, List<String>> argv) {
        this.out = (ServerCallStreamObserver<ExecOutput>) out;
        this.argv = argv;
        this.out.setOnCancelHandler(this::kill);
    }

    @Override
    public synchronized void onNext(ExecInput in) {
        if (in.hasStart()) {
            if (process != null) {
                fail(Errors.invalid("exec already started"));
                return;
            }
            start(in.getStart());
        } else if (in.hasStdin()) {
            if (stdin == null) {
                return; // not interactive, or already closed: the command does not read it
            }
            try {
                in.getStdin().writeTo(stdin);
                stdin.flush();
            } catch (IOException e) {
                closeStdin(); // the command closed its stdin or ended
            }
        }
    }

    private void start(ExecStart start) {
        ProcessBuilder pb;
        try {
            pb = new ProcessBuilder(argv.apply(start));
        } catch (StatusRuntimeException e) {
            fail(e);
            return;
        } catch (IllegalArgumentException e) {
            fail(Errors.invalid(e.getMessage()));
            return;
        }
        if (!start.getInteractive()) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        try {
            process = pb.start();
        } catch (IOException e) {
            fail(Errors.internal("cannot run runc exec: " + e.getMessage()));
            return;
        }
        stdin = start.getInteractive() ? process.getOutputStream() : null;
        Process p = process;
        CountDownLatch drained = new CountDownLatch(2);
        pump(p.getInputStream(), (b, n) -> ExecOutput.newBuilder().setStdout(ByteString.copyFrom(b, 0, n)).build(), drained, "stdout");
        pump(p.getErrorStream(), (b, n) -> ExecOutput.newBuilder().setStderr(ByteString.copyFrom(b, 0, n)).build(), drained, "stderr");
        spawn("fl-exec-wait", () -> {
            try {
                int code = p.waitFor();
                drained.await();
                send(ExecOutput.newBuilder().setExitCode(code).build());
                synchronized (out) {
                    out.onCompleted();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.debug("exec answer not delivered: {}", e.toString());
            }
        });
    }

    /** Copies {@code from} to the client in chunks as they arrive, on a thread of its own. */
    private void pump(InputStream from, BiFunction<byte[], Integer, ExecOutput> message, CountDownLatch drained, String name) {
        spawn("fl-exec-" + name, () -> {
            byte[] buf = new byte[CHUNK];
            try (from) {
                for (int n; (n = from.read(buf)) > 0; ) {
                    send(message.apply(buf, n));
                }
            } catch (IOException | RuntimeException e) {
                log.debug("exec {} ended: {}", name, e.toString());
            } finally {
                drained.countDown();
            }
        });
    }

    private static void spawn(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private void send(ExecOutput o) {
        synchronized (out) {
            if (!out.isCancelled()) {
                out.onNext(o);
            }
        }
    }

    /** The client's half-close: stdin is at its end. */
    @Override
    public synchronized void onCompleted() {
        closeStdin();
    }

    @Override
    public void onError(Throwable t) {
        kill();
    }

    private synchronized void closeStdin() {
        if (stdin != null) {
            try {
                stdin.close();
            } catch (IOException e) {
                log.debug("exec stdin close: {}", e.toString());
            }
            stdin = null;
        }
    }

    private synchronized void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private void fail(StatusRuntimeException e) {
        synchronized (out) {
            out.onError(e);
        }
    }
}
