package dev.flotilla.cluster.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.cluster.store.NoQuorumException;
import dev.flotilla.cluster.store.StoreConflictException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one failure -> status mapping: the code and the sentence a caller reads. */
class ErrorsTest {

    private static final String NO_LEADER = "The swarm does not have a leader. It's possible that too few managers "
            + "are online. Make sure more than half of the managers are online.";

    private static void assertStatus(StatusRuntimeException e, Status.Code code, String description) {
        assertThat(e.getStatus().getCode()).isEqualTo(code);
        assertThat(e.getStatus().getDescription()).isEqualTo(description);
    }

    @Test
    void aStatusThrownOnPurposeIsAnsweredAsItIs() {
        StatusRuntimeException thrown = Errors.notFound("service web not found");

        assertThat(Errors.toStatus(thrown)).isSameAs(thrown);
        assertThat(Errors.unavailable(thrown, "task status not recorded")).isSameAs(thrown);
        assertStatus(Errors.toStatus(Status.ABORTED.withDescription("replaced").asException()),
                Status.Code.ABORTED, "replaced");
    }

    @Test
    void aRefusedValueIsAnInvalidArgument() {
        assertStatus(Errors.toStatus(new IllegalArgumentException("invalid protocol \"sctp\": tcp or udp")),
                Status.Code.INVALID_ARGUMENT, "invalid protocol \"sctp\": tcp or udp");
    }

    @Test
    void aStoreConflictIsAlreadyExistsButATakenPortIsAnInvalidArgument() {
        assertStatus(Errors.toStatus(new StoreConflictException(StoreConflict.STORE_CONFLICT_NAME,
                "service web already exists")), Status.Code.ALREADY_EXISTS, "service web already exists");
        assertStatus(Errors.toStatus(new StoreConflictException(StoreConflict.STORE_CONFLICT_VERSION,
                "service web changed")), Status.Code.ALREADY_EXISTS, "service web changed");
        assertStatus(Errors.toStatus(new StoreConflictException(StoreConflict.STORE_CONFLICT_PORT,
                "port '8080' is already in use by service 'web' (abc) as an ingress port")),
                Status.Code.INVALID_ARGUMENT, "port '8080' is already in use by service 'web' (abc) as an ingress port");
    }

    @Test
    void aWriteWithoutQuorumIsUnavailable() {
        assertStatus(Errors.toStatus(new NoQuorumException(new IOException("timeout"))), Status.Code.UNAVAILABLE, NO_LEADER);
    }

    @Test
    void anythingElseIsInternalWithItsMessageOnly() {
        StatusRuntimeException e = Errors.toStatus(new IllegalStateException("the swarm has no cluster object"));

        assertStatus(e, Status.Code.INTERNAL, "the swarm has no cluster object");
        assertThat(e.getCause()).isNull();
        assertStatus(Errors.toStatus(new NullPointerException()), Status.Code.INTERNAL, "null");
    }

    @Test
    void aNodesCallThatFailedIsUnavailableWithItsContext() {
        assertStatus(Errors.unavailable(new NoQuorumException(null), "task status not recorded"),
                Status.Code.UNAVAILABLE, "task status not recorded: " + NO_LEADER);
        assertStatus(Errors.unavailable(new StoreConflictException(StoreConflict.STORE_CONFLICT_VERSION,
                "node n1 changed"), ""), Status.Code.UNAVAILABLE, "node n1 changed");
        assertStatus(Errors.unavailable(new IOException("closed"), "the Raft group did not add this manager"),
                Status.Code.UNAVAILABLE, "the Raft group did not add this manager: closed");
    }

    @Test
    void answerSendsTheResultOrTheMappedFailure() {
        Recorder<String> ok = new Recorder<>();
        Errors.answer(ok, () -> "done");
        assertThat(ok.values).containsExactly("done");
        assertThat(ok.completed).isTrue();
        assertThat(ok.error).isNull();

        Recorder<String> failed = new Recorder<>();
        Errors.answer(failed, () -> {
            throw new StoreConflictException(StoreConflict.STORE_CONFLICT_NAME, "network with name app already exists");
        });
        assertThat(failed.values).isEmpty();
        assertThat(failed.completed).isFalse();
        assertStatus((StatusRuntimeException) failed.error, Status.Code.ALREADY_EXISTS,
                "network with name app already exists");
    }

    private static final class Recorder<T> implements StreamObserver<T> {
        final List<T> values = new ArrayList<>();
        Throwable error;
        boolean completed;

        @Override
        public void onNext(T value) {
            values.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
            completed = true;
        }
    }
}
