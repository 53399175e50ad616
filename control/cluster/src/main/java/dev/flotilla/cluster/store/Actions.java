package dev.flotilla.cluster.store;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Config;
import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Secret;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.api.v1.TaskStatusUpdate;

/** Builders for store actions, so reconcilers read as what they decide. */
public final class Actions {

    private Actions() {
    }

    public static StoreAction create(Task t) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setTask(t).build();
    }

    public static StoreAction update(Task t) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE).setTask(t).build();
    }

    public static StoreAction remove(Task t) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_REMOVE).setTask(t).build();
    }

    public static StoreAction create(Service s) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setService(s).build();
    }

    public static StoreAction update(Service s) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE).setService(s).build();
    }

    public static StoreAction remove(Service s) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_REMOVE).setService(s).build();
    }

    public static StoreAction create(Node n) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setNode(n).build();
    }

    public static StoreAction update(Node n) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE).setNode(n).build();
    }

    public static StoreAction remove(Node n) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_REMOVE).setNode(n).build();
    }

    public static StoreAction create(Network n) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setNetwork(n).build();
    }

    public static StoreAction remove(Network n) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_REMOVE).setNetwork(n).build();
    }

    public static StoreAction create(Secret s) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setSecret(s).build();
    }

    public static StoreAction update(Secret s) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE).setSecret(s).build();
    }

    public static StoreAction remove(Secret s) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_REMOVE).setSecret(s).build();
    }

    public static StoreAction create(Config c) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setConfig(c).build();
    }

    public static StoreAction update(Config c) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE).setConfig(c).build();
    }

    public static StoreAction remove(Config c) {
        return StoreAction.newBuilder().setKind(ActionKind.ACTION_REMOVE).setConfig(c).build();
    }

    public static StoreAction status(String taskId, TaskStatus status) {
        return StoreAction.newBuilder()
                .setTaskStatus(TaskStatusUpdate.newBuilder().setTaskId(taskId).setStatus(status))
                .build();
    }

    public static TaskStatus status(TaskState state, String message, long nowMs) {
        return TaskStatus.newBuilder().setState(state).setMessage(message).setTimestampMs(nowMs).build();
    }

    public static Meta meta(long nowMs) {
        return Meta.newBuilder().setCreatedAtMs(nowMs).setUpdatedAtMs(nowMs).build();
    }

    public static Meta touched(Meta meta, long nowMs) {
        return meta.toBuilder().setUpdatedAtMs(nowMs).build();
    }
}
