package dev.flotilla.cli;

import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.function.Consumer;

/** `rm` of several objects, as Docker does it: each name printed once removed, each failure on stderr. */
final class Removal {

    private Removal() {
    }

    /** Removes every name; a single failing name fails the command as any other error does. */
    static int each(List<String> names, Consumer<String> remove) {
        int status = 0;
        for (String name : names) {
            try {
                remove.accept(name);
                System.out.println(name);
            } catch (StatusRuntimeException e) {
                if (names.size() == 1) {
                    throw e;
                }
                System.err.println("Error: " + e.getStatus().getDescription());
                status = 1;
            }
        }
        return status;
    }
}
