package dev.flotilla.cluster.logs;

import dev.flotilla.api.v1.LogMessage;
import dev.flotilla.api.v1.LogOptions;
import dev.flotilla.api.v1.LogSource;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * This node's task logs, as every service that serves them reads them (the manager's log
 * services, a worker's session): the agent's {@code LocalLogs} reads them from the container
 * log store.
 */
public interface LogReader {

    /**
     * Sends the lines of {@code sources} (messages naming {@code nodeId}) to {@code out} in time
     * order, then completes it; following, it keeps sending new lines until the returned handle
     * is run. Sends {@code onError} if they cannot be read. {@code out} is called from one thread.
     */
    Runnable read(String nodeId, List<LogSource> sources, LogOptions options, StreamObserver<LogMessage> out);
}
