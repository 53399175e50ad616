package dev.flotilla.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The CLI's logging is the JDK's own ({@code java.util.logging}, which Netty and gRPC log to when
 * no other logging library is on the class path): Logback's start-up alone cost about a tenth of a
 * second of every command. The CLI prints its own results and errors; a library's warning goes to
 * stderr as {@code WARNING logger - message}, nothing below it.
 *
 * <p>The JDK's default configuration is not read: its {@code logging.properties}, console handler
 * and {@code SimpleFormatter} (which starts {@code java.util.Formatter} and {@code java.time}) cost
 * about a tenth of a command's time. {@link #configure} names {@link NoFile} as the configuration
 * before the first logger is made, so the root logger starts with no handler, and adds {@link
 * Stderr}. In a JVM whose logging was already set up (tests calling {@link Main#run}), the
 * handlers there are turned down to warnings instead.
 */
final class CliLogging {

    private static final String CONFIG_CLASS_PROPERTY = "java.util.logging.config.class";

    // Held here: the JDK keeps loggers only weakly, and a collected one forgets its level.
    private static Logger root;
    /** gRPC asks every channel for SO_KEEPALIVE, which unix sockets do not have. */
    private static Logger nettyBootstrap;

    private CliLogging() {
    }

    static synchronized void configure() {
        if (root != null) {
            return;
        }
        if (System.getProperty(CONFIG_CLASS_PROPERTY) == null
                && System.getProperty("java.util.logging.config.file") == null) {
            System.setProperty(CONFIG_CLASS_PROPERTY, NoFile.class.getName());
        }
        root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        Handler[] handlers = root.getHandlers();
        for (Handler handler : handlers) {
            handler.setLevel(Level.WARNING);
        }
        if (handlers.length == 0) {
            root.addHandler(new Stderr(System.err));
        }
        nettyBootstrap = Logger.getLogger("io.netty.bootstrap");
        nettyBootstrap.setLevel(Level.SEVERE);
    }

    /**
     * The logging configuration that reads no file: {@link LogManager} instantiates it instead of
     * reading {@code logging.properties}, and its properties stay empty.
     */
    public static final class NoFile {
        public NoFile() {
            // nothing to read
        }
    }

    /** {@code LEVEL logger - message}, then the exception's stack trace if there is one. */
    static final class Stderr extends Handler {

        private final PrintStream out;
        private final java.util.logging.Formatter messages = new java.util.logging.Formatter() {
            @Override
            public String format(LogRecord record) {
                return formatMessage(record);
            }
        };

        Stderr(PrintStream out) {
            this.out = out;
            setLevel(Level.WARNING);
        }

        @Override
        public void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            out.println(line(record));
            out.flush();
        }

        String line(LogRecord record) {
            StringBuilder line = new StringBuilder()
                    .append(record.getLevel().getName()).append(' ')
                    .append(record.getLoggerName()).append(" - ")
                    .append(messages.format(record));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(System.lineSeparator()).append(trace.toString().stripTrailing());
            }
            return line.toString();
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
