package dev.flotilla.manager.raft;

import com.google.protobuf.InvalidProtocolBufferException;
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

    static Message toMessage(StoreTransaction tx) {
        return Message.valueOf(ByteString.copyFrom(tx.toByteArray()));
    }

    static StoreTransaction transaction(ByteString data) throws InvalidProtocolBufferException {
        return StoreTransaction.parseFrom(data.toByteArray());
    }

    static Message toMessage(StoreResult result) {
        return Message.valueOf(ByteString.copyFrom(result.toByteArray()));
    }

    static StoreResult result(Message message) throws InvalidProtocolBufferException {
        return StoreResult.parseFrom(message.getContent().toByteArray());
    }
}
