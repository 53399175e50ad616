package dev.flotilla.manager.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The one place that converts between Flotilla's protobuf messages and Ratis's shaded
 * protobuf types: Ratis carries opaque bytes, we never mix the two runtimes elsewhere.
 */
final class RatisMessages {

    private RatisMessages() {
    }

    /** A transaction as the log holds it: sealed with the data key, if the swarm has one. */
    static Message toMessage(StoreTransaction tx, RecordSeal seal) {
        return Message.valueOf(ByteString.copyFrom(seal.seal(tx.toByteArray())));
    }

    static StoreTransaction transaction(ByteString data) throws IOException {
        return transaction(data, RecordSeal.PLAIN);
    }

    static StoreTransaction transaction(ByteString data, RecordSeal seal) throws IOException {
        return StoreTransaction.parseFrom(seal.open(data.toByteArray()));
    }

    static Message toMessage(StoreResult result) {
        return Message.valueOf(ByteString.copyFrom(result.toByteArray()));
    }

    static StoreResult result(Message message) throws InvalidProtocolBufferException {
        return StoreResult.parseFrom(message.getContent().toByteArray());
    }
}
