package dev.flotilla.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The CLI's logging is the JDK's own ({@code java.util.logging}, which Netty and gRPC log to when
 * no other logging library is on the class path): Logback's start-up alone cost about a tenth of a
 * second of every command. The CLI prints its own results and errors; a library's warning goes to
 * stderr as {@code WARNING logger - message}, nothing below it.
 */
final class CliLogging {

    private static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";

    // Held here: the JDK keeps loggers only weakly, and a collected one forgets its level.
    private static final Logger ROOT;
    /** gRPC asks every channel for SO_KEEPALIVE, which unix sockets do not have. */
    private static final Logger NETTY_BOOTSTRAP;

    static {
        // Read once, when the first handler's formatter is made: set it before any logger exists.
        if (System.getProperty(FORMAT_PROPERTY) == null) {
            System.setProperty(FORMAT_PROPERTY, "%4$s %3$s - %5$s%6$s%n");
        }
        ROOT = Logger.getLogger("");
        NETTY_BOOTSTRAP = Logger.getLogger("io.netty.bootstrap");
    }

    private CliLogging() {
    }

    static void configure() {
        ROOT.setLevel(Level.WARNING);
        for (var handler : ROOT.getHandlers()) {
            handler.setLevel(Level.WARNING);
        }
        NETTY_BOOTSTRAP.setLevel(Level.SEVERE);
    }
}
