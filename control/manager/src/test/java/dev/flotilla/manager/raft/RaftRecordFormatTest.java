package dev.flotilla.manager.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.cluster.store.StoreView;
import java.util.Base64;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Raft log entries, snapshots and state machine answers written by a build whose Raft messages were
 * still in {@code flotilla.control.v1} (before {@code flotilla.raft.v1}) load unchanged: the bytes
 * below were made by that build. Field numbers are the format; a renumbered or retyped field fails here.
 */
class RaftRecordFormatTest {

    /** CREATE cluster, node, network; UPDATE service; REMOVE task; a task status report. */
    private static final String TRANSACTION =
            "CicSJQoIY2x1c3RlcjESCAgHEOgHGNAPMgoxMC4wLjAuMC84OBRAtSUKKxopCgVub2RlMRIICAcQ6AcY0A8YATIGaG"
            + "9zdC0xSgwxOTIuMTY4LjEuMTAKPjI8CgRuZXQxEggIBxDoBxjQDxonCgNhcHASB292ZXJsYXkaDDEwLjAuMTYuMC8y"
            + "MCIJMTAuMC4xNi4xIIEgClQIASJQCgRzdmMxEggIBxDoBxjQDxopCgN3ZWISDgoMbmdpbng6YWxwaW5lGAIiCgoDdG"
            + "NwEFAYkD86BG5ldDEqEwoDdGNwEFAYkD8iB2luZ3Jlc3MKOQgCKjUKBXRhc2sxEggIBxDoBxjQDxoEc3ZjMSgBMgVu"
            + "b2RlMUCABEoQCMABELgXGghhc3NpZ25lZAoaOhgKBXRhc2sxEg8IgAQQoB8aB3N0YXJ0ZWQ=";
    /** One cluster, node, service, task and network. */
    private static final String SNAPSHOT =
            "CiUKCGNsdXN0ZXIxEggIBxDoBxjQDzIKMTAuMC4wLjAvODgUQLUlEikKBW5vZGUxEggIBxDoBxjQDxgBMgZob3N0LT"
            + "FKDDE5Mi4xNjguMS4xMBpQCgRzdmMxEggIBxDoBxjQDxopCgN3ZWISDgoMbmdpbng6YWxwaW5lGAIiCgoDdGNwEFAY"
            + "kD86BG5ldDEqEwoDdGNwEFAYkD8iB2luZ3Jlc3MiNQoFdGFzazESCAgHEOgHGNAPGgRzdmMxKAEyBW5vZGUxQIAESh"
            + "AIwAEQuBcaCGFzc2lnbmVkKjwKBG5ldDESCAgHEOgHGNAPGicKA2FwcBIHb3ZlcmxheRoMMTAuMC4xNi4wLzIwIgkx"
            + "MC4wLjE2LjEggSA=";
    /** A refusal: "service web already exists" at index 42, by name. */
    private static final String RESULT =
            "EhpzZXJ2aWNlIHdlYiBhbHJlYWR5IGV4aXN0cxgqIAI=";

    private static byte[] bytes(String base64) {
        return Base64.getDecoder().decode(base64);
    }

    /**
     * Nothing the old build wrote lands in unknown fields, and it encodes back to the same bytes (which
     * alone proves little: protobuf keeps unknown fields; the field-by-field checks carry the weight).
     */
    private static void assertSameBytes(Message parsed, String base64) {
        assertThat(parsed.getUnknownFields().asMap()).isEmpty();
        assertThat(parsed.toByteArray()).isEqualTo(bytes(base64));
    }

    @Test
    void aLogEntryOfAnOlderBuildIsReadAsTheSameTransaction() throws Exception {
        StoreTransaction tx = RatisMessages.transaction(ByteString.copyFrom(bytes(TRANSACTION)));

        assertThat(tx.getActionsList()).extracting(StoreAction::getKind).containsExactly(ActionKind.ACTION_CREATE,
                ActionKind.ACTION_CREATE, ActionKind.ACTION_CREATE, ActionKind.ACTION_UPDATE, ActionKind.ACTION_REMOVE,
                ActionKind.ACTION_CREATE);
        assertThat(tx.getActions(0).getCluster().getDefaultAddrPool()).isEqualTo("10.0.0.0/8");
        assertThat(tx.getActions(1).getNode().getRole()).isEqualTo(NodeRole.MANAGER);
        assertThat(tx.getActions(2).getNetwork().getVni()).isEqualTo(4097);
        Service web = tx.getActions(3).getService();
        assertThat(web.getSpec().getName()).isEqualTo("web");
        assertThat(web.getEndpointPorts(0).getPublishedPort()).isEqualTo(8080);
        assertThat(tx.getActions(4).getTask().getMeta().getVersion()).isEqualTo(7);
        assertThat(tx.getActions(5).getTaskStatus().getStatus().getState()).isEqualTo(TaskState.RUNNING);
        assertSameBytes(tx, TRANSACTION);
    }

    @Test
    void aSnapshotOfAnOlderBuildRestoresTheStore() throws Exception {
        StoreSnapshot snapshot = StoreSnapshot.parseFrom(bytes(SNAPSHOT));
        MemoryStore store = new MemoryStore();

        store.restore(snapshot, 100);

        StoreView view = store.view();
        assertThat(view.cluster().orElseThrow().getId()).isEqualTo("cluster1");
        assertThat(view.node("node1").orElseThrow().getHostname()).isEqualTo("host-1");
        assertThat(view.findService("web").orElseThrow().getSpec().getContainer().getImage()).isEqualTo("nginx:alpine");
        assertThat(view.task("task1").orElseThrow().getStatus().getState()).isEqualTo(TaskState.ASSIGNED);
        assertThat(view.findNetwork("app").orElseThrow().getSpec().getSubnet()).isEqualTo("10.0.16.0/20");
        assertSameBytes(snapshot, SNAPSHOT);
        // That build wrote the protocol and publish mode as strings ("tcp", "ingress"); the store
        // reads them as the enums and keeps only those, so its own snapshot differs from the old one.
        PortConfig port = view.findService("web").orElseThrow().getEndpointPorts(0);
        assertThat(port.getProtocol()).isEqualTo(PortConfig.Protocol.TCP);
        assertThat(port.getPublishMode()).isEqualTo(PortConfig.PublishMode.INGRESS);
        assertThat(port.getPublishedPort()).isEqualTo(8080);
        MemoryStore again = new MemoryStore();
        again.restore(store.snapshot(), 100);
        assertThat(again.view().services()).isEqualTo(view.services());
        assertThat(again.snapshot()).isEqualTo(store.snapshot());
    }

    @Test
    void aStateMachineAnswerOfAnOlderBuildIsReadAsTheSameResult() throws Exception {
        StoreResult result = RatisMessages.result(org.apache.ratis.protocol.Message.valueOf(
                ByteString.copyFrom(bytes(RESULT))));

        assertThat(result.getOk()).isFalse();
        assertThat(result.getError()).isEqualTo("service web already exists");
        assertThat(result.getIndex()).isEqualTo(42);
        assertThat(result.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_NAME);
        assertSameBytes(result, RESULT);
    }
}
