package dev.flotilla.cluster.rpc;

import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.cluster.store.NoQuorumException;
import dev.flotilla.cluster.store.StoreConflictException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC statuses Flotilla answers with: a code and a sentence a person can act on. Every
 * service maps its failures here ({@link #toStatus}, {@link #unavailable(Throwable, String)}), so a
 * failure reads the same whichever service met it, and never as a stack trace.
 */
public final class Errors {

    private static final Logger log = LoggerFactory.getLogger(Errors.class);

    public static final String NOT_A_MANAGER = "This node is not a swarm manager. Use \"flotilla swarm init\" "
            + "or \"flotilla swarm join\" to connect this node to swarm and try again.";
    /** Docker's answer of a manager that restarted with autolock on and was not unlocked yet. */
    public static final String SWARM_LOCKED = "Swarm is encrypted and needs to be unlocked before it can be used. "
            + "Please use \"flotilla swarm unlock\" to unlock it.";
    public static final String WORKER_NOT_MANAGER = "This node is not a swarm manager. Worker nodes can't be used "
            + "to view or modify cluster state. Please run this command on a manager node or promote the current "
            + "node to a manager.";
    public static final String ALREADY_IN_SWARM = "This node is already part of a swarm. Use \"flotilla swarm "
            + "leave\" to leave this swarm and join another one.";

    private Errors() {
    }

    public static StatusRuntimeException notFound(String message) {
        return Status.NOT_FOUND.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException conflict(String message) {
        return Status.ALREADY_EXISTS.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException denied(String message) {
        return Status.PERMISSION_DENIED.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException precondition(String message) {
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException unavailable(String message) {
        return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException unimplemented(String message) {
        return Status.UNIMPLEMENTED.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException internal(String message) {
        return Status.INTERNAL.withDescription(message).asRuntimeException();
    }

    /**
     * The status a user's call that failed with {@code t} answers with. A status thrown on purpose
     * stays as it is; a value the code refused (IllegalArgumentException) is INVALID_ARGUMENT; a
     * transaction the store refused is ALREADY_EXISTS, but INVALID_ARGUMENT for a published port
     * another service holds (as Docker answers) and for a write the store found invalid (a missing
     * secret, one still in use); a write without quorum is UNAVAILABLE; anything
     * else is INTERNAL with its message, and logged.
     */
    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException e) {
            return e;
        }
        if (t instanceof StatusException e) {
            return e.getStatus().asRuntimeException(e.getTrailers());
        }
        if (t instanceof IllegalArgumentException) {
            return invalid(t.getMessage());
        }
        if (t instanceof StoreConflictException e) {
            boolean invalid = e.conflict() == StoreConflict.STORE_CONFLICT_PORT
                    || e.conflict() == StoreConflict.STORE_CONFLICT_INVALID;
            return invalid ? invalid(e.getMessage()) : conflict(e.getMessage());
        }
        if (t instanceof NoQuorumException) {
            return unavailable(t.getMessage());
        }
        log.error("Request failed", t);
        return internal(String.valueOf(t.getMessage()));
    }

    /**
     * The status a node's call (dispatcher, node CA, Raft membership) that failed with {@code t}
     * answers with. A status thrown on purpose stays as it is; anything else (a lost race in the
     * store, no quorum, Raft I/O) is UNAVAILABLE, which the calling node answers by trying again:
     * described as {@code context}, a colon and the failure's message, or the message alone when
     * {@code context} is empty.
     */
    public static StatusRuntimeException unavailable(Throwable t, String context) {
        if (t instanceof StatusRuntimeException e) {
            return e;
        }
        if (t instanceof StatusException e) {
            return e.getStatus().asRuntimeException(e.getTrailers());
        }
        return unavailable(context.isEmpty() ? t.getMessage() : context + ": " + t.getMessage());
    }

    /** Runs a user's call and answers with its result, or with {@link #toStatus} of its failure. */
    public static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            out.onError(toStatus(e));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }
}
