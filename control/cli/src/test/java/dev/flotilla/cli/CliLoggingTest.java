package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class CliLoggingTest {

    @Test
    void aWarningIsOneLineWithItsLevelLoggerAndMessageAndBelowWarningNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CliLogging.Stderr handler = new CliLogging.Stderr(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        LogRecord warning = new LogRecord(Level.WARNING, "channel {0} closed after {1} ms");
        warning.setLoggerName("io.grpc.internal.ManagedChannelImpl");
        warning.setParameters(new Object[] {"7", 12});
        handler.publish(warning);
        LogRecord info = new LogRecord(Level.INFO, "connected");
        info.setLoggerName("io.grpc.internal.ManagedChannelImpl");
        handler.publish(info);

        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(
                "WARNING io.grpc.internal.ManagedChannelImpl - channel 7 closed after 12 ms" + System.lineSeparator());
    }

    @Test
    void anExceptionFollowsItsLineWithItsStackTrace() {
        LogRecord record = new LogRecord(Level.SEVERE, "failed");
        record.setLoggerName("io.netty.channel.DefaultChannelPipeline");
        record.setThrown(new IllegalStateException("broken pipe"));

        String line = new CliLogging.Stderr(System.err).line(record);

        assertThat(line).startsWith("SEVERE io.netty.channel.DefaultChannelPipeline - failed" + System.lineSeparator()
                + "java.lang.IllegalStateException: broken pipe" + System.lineSeparator() + "\tat ");
    }

    /**
     * A JVM of its own, as each command is: the JDK's logging.properties is not read (its console
     * handler would print INFO lines in its own two-line format), warnings print once each.
     */
    @Test
    void inANewJvmOnlyWarningsReachStderrInTheCliFormat() throws Exception {
        Process process = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LogSomething.class.getName()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String stderr;
        try {
            stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            process.destroyForcibly();
        }

        assertThat(process.exitValue()).isZero();
        assertThat(stderr).isEqualTo("WARNING io.grpc.Test - the daemon went away" + System.lineSeparator());
    }

    /** What {@link #inANewJvmOnlyWarningsReachStderrInTheCliFormat} runs. */
    static final class LogSomething {
        public static void main(String[] args) throws IOException {
            CliLogging.configure();
            CliLogging.configure();
            Logger logger = Logger.getLogger("io.grpc.Test");
            logger.info("connecting");
            logger.warning("the daemon went away");
            Logger.getLogger("io.netty.bootstrap.Bootstrap").warning("Unknown channel option 'SO_KEEPALIVE'");
        }
    }
}
