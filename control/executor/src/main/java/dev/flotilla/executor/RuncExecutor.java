package dev.flotilla.executor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** The {@link Executor} of a real node: each task's container is a runc container of {@link RuncRuntime}. */
public final class RuncExecutor implements Executor {

    private final RuncRuntime runtime;

    public RuncExecutor(RuncRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
    }

    @Override
    public Controller controller(ContainerSpec spec) {
        return new RuncController(runtime, spec);
    }

    @Override
    public void ensureImage(String image, Registry.Credentials credentials) {
        runtime.ensureImage(image, credentials);
    }

    @Override
    public void retainLogs(java.util.Set<String> containerIds) {
        runtime.logs().retain(containerIds);
    }

    private static final class RuncController implements Controller {
        private final RuncRuntime runtime;
        private final ContainerSpec spec;

        RuncController(RuncRuntime runtime, ContainerSpec spec) {
            this.runtime = runtime;
            this.spec = spec;
        }

        @Override
        public void prepare() {
            runtime.create(spec);
        }

        @Override
        public void start() {
            runtime.start(spec.id());
        }

        @Override
        public int waitExit() {
            int code = runtime.exitFuture(spec.id()).join();
            runtime.releaseSecrets(spec.id());
            return code;
        }

        @Override
        public void shutdown(String signal, Duration grace) {
            runtime.stop(spec.id(), signal, grace);
        }

        @Override
        public int probe(List<String> argv, Duration timeout) {
            return runtime.probe(spec.id(), argv, timeout);
        }

        @Override
        public java.util.Optional<ImageConfig.Healthcheck> imageHealthcheck() {
            return runtime.imageConfig(spec.image()).map(ImageConfig::healthcheck);
        }

        @Override
        public void terminate() {
            try {
                runtime.kill(spec.id(), "KILL");
            } catch (IllegalStateException e) {
                // It ended meanwhile: nothing left to kill.
            }
        }

        @Override
        public void remove() {
            runtime.remove(spec.id());
        }
    }
}
