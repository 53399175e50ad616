package dev.flotilla.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class when Netty's leak detector (paranoid in this build) reports a buffer that was
 * never released. Leaks are only reported once the buffer was collected and a later allocation
 * polls the detector, hence the collections and allocations at the end. Use it with
 * {@code @ExtendWith(NoLeaksExtension.class)}; the module brings Netty and Logback (test scope).
 */
public final class NoLeaksExtension implements BeforeAllCallback, AfterAllCallback {

    private static final int GC_ROUNDS = 5;
    private static final int PROBE_ALLOCATIONS = 64;

    private final ListAppender<ILoggingEvent> reports = new ListAppender<>();

    @Override
    public void beforeAll(ExtensionContext context) {
        reports.start();
        detectorLogger().addAppender(reports);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            for (int round = 0; round < GC_ROUNDS; round++) {
                System.gc();
                for (int i = 0; i < PROBE_ALLOCATIONS; i++) {
                    ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(64);
                    probe.release();
                }
            }
            List<String> leaks = reports.list.stream()
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("LEAK"))
                    .collect(Collectors.toList());
            assertThat(leaks).as("Netty leak reports").isEmpty();
        } finally {
            detectorLogger().detachAppender(reports);
        }
    }

    private static Logger detectorLogger() {
        return (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    }
}
