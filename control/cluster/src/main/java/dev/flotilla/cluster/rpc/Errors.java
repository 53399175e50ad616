package dev.flotilla.cluster.rpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The gRPC statuses Flotilla answers with: a code and a sentence a person can act on. */
public final class Errors {

    public static final String NOT_A_MANAGER = "This node is not a swarm manager. Use \"flotilla swarm init\" "
            + "or \"flotilla swarm join\" to connect this node to swarm and try again.";
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
}
