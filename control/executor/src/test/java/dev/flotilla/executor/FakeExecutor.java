package dev.flotilla.executor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An in-memory {@link Executor} for tests of what drives it: no runc, no root. It records every call per
 * container, and a test decides what happens: a container exits with a code ({@link #exit}), an image is
 * missing ({@link #withoutImage}), a shutdown hangs until the test lets it go ({@link #hangOnShutdown}).
 *
 * <p>Like runc, a shutdown ends the process with 143 (SIGTERM) and a terminate with 137 (SIGKILL).
 * Every method is safe from any thread; waits end at a deadline rather than hang a test.
 */
public final class FakeExecutor implements Executor {

    /** The exit code of a container stopped by SIGTERM. */
    public static final int SIGTERM_EXIT = 143;
    /** The exit code of a container killed by SIGKILL. */
    public static final int SIGKILL_EXIT = 137;

    // Guarded by this; by container id, in creation order.
    private final Map<String, FakeController> controllers = new LinkedHashMap<>();
    private final Map<String, String> missingImages = new HashMap<>();
    private final Map<String, String> pullFailures = new HashMap<>();
    private CountDownLatch shutdownGate;
    private volatile int probeExit;

    /** From now on, every container's health check exits with {@code code} (0, healthy, until then). */
    public FakeExecutor probeExit(int code) {
        probeExit = code;
        return this;
    }

    /** From now on, preparing a container of {@code image} fails as runc's does: {@code No such image: <image>}. */
    public synchronized FakeExecutor withoutImage(String image) {
        missingImages.put(ImageStore.normalize(image), ImageStore.normalize(image));
        return this;
    }

    /** From now on, {@link #ensureImage} of {@code image} fails as a registry refusing it would, with {@code reason}. */
    public synchronized FakeExecutor pullFails(String image, String reason) {
        pullFailures.put(ImageStore.normalize(image), reason);
        return this;
    }

    @Override
    public synchronized void ensureImage(String image, Registry.Credentials credentials) {
        String reason = pullFailures.get(ImageStore.normalize(image));
        if (reason != null) {
            throw new RegistryException(ImageReference.parse(image), reason);
        }
    }

    /** From now on, {@link Controller#shutdown} blocks until {@link #releaseShutdowns()}. */
    public synchronized FakeExecutor hangOnShutdown() {
        shutdownGate = new CountDownLatch(1);
        return this;
    }

    /** Lets every hanging and later shutdown go on. */
    public synchronized void releaseShutdowns() {
        if (shutdownGate != null) {
            shutdownGate.countDown();
            shutdownGate = null;
        }
    }

    @Override
    public synchronized Controller controller(ContainerSpec spec) {
        FakeController c = new FakeController(spec);
        controllers.put(spec.id(), c);
        notifyAll();
        return c;
    }

    /** The container of that id or name, if a controller was made for it. */
    public synchronized Optional<FakeController> container(String idOrName) {
        return controllers.values().stream()
                .filter(c -> c.spec.id().equals(idOrName) || c.spec.name().equals(idOrName)).findFirst();
    }

    /** Every container a controller was made for, oldest first. */
    public synchronized List<FakeController> containers() {
        return List.copyOf(controllers.values());
    }

    /** Makes the running container {@code idOrName} exit with {@code code}, as if its process ended. */
    public void exit(String idOrName, int code) {
        container(idOrName).orElseThrow(() -> new IllegalArgumentException("no container " + idOrName)).exit(code);
    }

    /** Waits until the container {@code idOrName} has received {@code call}; fails the test at the deadline. */
    public FakeController awaitCall(String idOrName, String call, Duration timeout) {
        return awaitCalls(idOrName, calls -> calls.contains(call), timeout,
                "container " + idOrName + " to be asked to " + call);
    }

    /** Waits until the calls the container {@code idOrName} received satisfy {@code condition}. */
    public synchronized FakeController awaitCalls(String idOrName, Predicate<List<String>> condition, Duration timeout,
            String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<FakeController> c = container(idOrName);
            if (c.isPresent() && condition.test(c.get().calls())) {
                return c.get();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + "; calls so far: " + c.map(FakeController::calls).orElse(List.of()));
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    private synchronized void record(FakeController c, String call) {
        c.calls.add(call);
        notifyAll();
    }

    private synchronized Optional<String> missing(String image) {
        return Optional.ofNullable(missingImages.get(image));
    }

    private synchronized CountDownLatch shutdownGate() {
        return shutdownGate;
    }

    /** One container's controller: the calls it received ({@code prepare}, {@code start}, ...) in order. */
    public final class FakeController implements Controller {
        private final ContainerSpec spec;
        // Guarded by the executor's monitor.
        private final List<String> calls = new ArrayList<>();
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();
        private volatile boolean started;
        private volatile String stopSignal;
        private volatile Duration stopGrace;

        private FakeController(ContainerSpec spec) {
            this.spec = spec;
        }

        public ContainerSpec spec() {
            return spec;
        }

        @Override
        public int probe(List<String> argv, Duration timeout) {
            record(this, "probe");
            return probeExit;
        }

        /** The signal the last shutdown asked for, or null before one. */
        public String stopSignal() {
            return stopSignal;
        }

        /** The grace period the last shutdown gave, or null before one. */
        public Duration stopGrace() {
            return stopGrace;
        }

        /** The calls so far, in order: prepare, start, wait, shutdown, terminate, remove. */
        public List<String> calls() {
            synchronized (FakeExecutor.this) {
                return List.copyOf(calls);
            }
        }

        /** Its process ends with {@code code}: {@link #waitExit()} returns it. */
        public void exit(int code) {
            exit.complete(code);
        }

        @Override
        public void prepare() {
            record(this, "prepare");
            Optional<String> missing = missing(ImageStore.normalize(spec.image()));
            if (missing.isPresent()) {
                throw new NoSuchImageException(missing.get());
            }
        }

        @Override
        public void start() {
            record(this, "start");
            started = true;
        }

        @Override
        public int waitExit() {
            record(this, "wait");
            return exit.join();
        }

        @Override
        public void shutdown(String signal, Duration grace) {
            stopSignal = signal;
            stopGrace = grace;
            record(this, "shutdown");
            CountDownLatch gate = shutdownGate();
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (started) {
                exit.complete(SIGTERM_EXIT);
            }
        }

        @Override
        public void terminate() {
            record(this, "terminate");
            if (started) {
                exit.complete(SIGKILL_EXIT);
            }
        }

        @Override
        public void remove() {
            record(this, "remove");
            exit.complete(SIGKILL_EXIT);
        }
    }
}
