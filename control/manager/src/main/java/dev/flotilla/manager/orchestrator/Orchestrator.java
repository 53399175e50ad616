package dev.flotilla.manager.orchestrator;

import dev.flotilla.cluster.store.Actions;

import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import dev.flotilla.common.Ids;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The replicated orchestrator, restart supervisor and task reaper in one pass: it compares each
 * service's slots with its spec and answers the store actions that close the gap. A pure
 * function of the store and the clock, so it is tested without a cluster.
 */
public final class Orchestrator {

    /** swarmkit's default task history: old tasks kept per slot. */
    public static final int DEFAULT_HISTORY_LIMIT = 5;

    private final int historyLimit;

    public Orchestrator(int historyLimit) {
        this.historyLimit = historyLimit;
    }

    public List<StoreAction> reconcile(StoreView view, long nowMs) {
        List<StoreAction> actions = new ArrayList<>();
        Map<String, List<Task>> byService = view.tasks().values().stream()
                .collect(Collectors.groupingBy(Task::getServiceId));
        for (Service service : view.services().values()) {
            reconcileService(view, service, byService.getOrDefault(service.getId(), List.of()), nowMs, actions);
        }
        for (Map.Entry<String, List<Task>> e : byService.entrySet()) {
            if (!view.services().containsKey(e.getKey())) {
                reapOrphans(e.getValue(), nowMs, actions);
            }
        }
        return actions;
    }

    private void reconcileService(StoreView view, Service service, List<Task> tasks, long nowMs, List<StoreAction> actions) {
        long replicas = service.getSpec().getReplicas();
        Map<Long, List<Task>> slots = new TreeMap<>();
        for (Task t : tasks) {
            slots.computeIfAbsent(t.getSlot(), s -> new ArrayList<>()).add(t);
        }
        for (long slot = 1; slot <= replicas; slot++) {
            List<Task> inSlot = slots.getOrDefault(slot, List.of());
            Task live = null;
            Task lost = null;
            for (Task t : inSlot) {
                if (wantsRunning(t) && !TaskStates.isTerminal(t.getStatus().getState())) {
                    if (onLostNode(view, t)) {
                        lost = t;
                    } else {
                        live = t;
                    }
                }
            }
            if (live != null) {
                continue;
            }
            if (lost != null) {
                // Its node is Down or gone: the task cannot report; replace it now, elsewhere.
                actions.add(Actions.update(lost.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
                actions.add(Actions.create(newTask(service, slot, 0, nowMs)));
                continue;
            }
            // The slot's task died (or never was): retire it and start its successor after the delay.
            Task dead = inSlot.stream().filter(Orchestrator::wantsRunning).findFirst().orElse(null);
            long notBefore = 0;
            if (dead != null) {
                actions.add(Actions.update(dead.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
                if (!restartAllowed(service, dead)) {
                    continue;
                }
                notBefore = nowMs + service.getSpec().getRestart().getDelayMs();
            }
            actions.add(Actions.create(newTask(service, slot, notBefore, nowMs)));
        }
        for (Map.Entry<Long, List<Task>> e : slots.entrySet()) {
            if (e.getKey() > replicas) {
                for (Task t : e.getValue()) {
                    if (wantsRunning(t)) {
                        actions.add(Actions.update(t.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
                    }
                }
            }
            reapHistory(e.getValue(), actions);
        }
    }

    /** A task assigned to a node that is Down, drained or was removed. */
    static boolean onLostNode(StoreView view, Task t) {
        if (t.getNodeId().isEmpty()) {
            return false;
        }
        return view.node(t.getNodeId()).map(n -> n.getState() == NodeState.NODE_DOWN
                || n.getAvailability() == NodeAvailability.DRAIN).orElse(true);
    }

    private static boolean restartAllowed(Service service, Task dead) {
        return switch (service.getSpec().getRestart().getCondition()) {
            case NONE -> false;
            case ON_FAILURE -> dead.getStatus().getState() != TaskState.COMPLETE;
            default -> true;
        };
    }

    /** Keeps the newest {@link #historyLimit} finished tasks of a slot. */
    private void reapHistory(List<Task> slot, List<StoreAction> actions) {
        List<Task> old = slot.stream()
                .filter(t -> !wantsRunning(t) && TaskStates.isTerminal(t.getStatus().getState()))
                .sorted(Comparator.comparingLong((Task t) -> t.getMeta().getCreatedAtMs()).reversed())
                .toList();
        for (int i = historyLimit; i < old.size(); i++) {
            actions.add(Actions.remove(old.get(i)));
        }
    }

    /** Tasks of a removed service: stop the running ones, forget the finished ones. */
    private static void reapOrphans(List<Task> tasks, long nowMs, List<StoreAction> actions) {
        for (Task t : tasks) {
            boolean assigned = !t.getNodeId().isEmpty();
            if (TaskStates.isTerminal(t.getStatus().getState()) || !assigned
                    || t.getStatus().getState().getNumber() < TaskState.ASSIGNED_VALUE) {
                actions.add(Actions.remove(t));
            } else if (t.getDesiredState() != TaskState.REMOVE) {
                actions.add(Actions.update(t.toBuilder().setDesiredState(TaskState.REMOVE).build()));
            }
        }
    }

    static boolean wantsRunning(Task t) {
        return t.getDesiredState().getNumber() <= TaskState.RUNNING_VALUE;
    }

    public static Task newTask(Service service, long slot, long notBeforeMs, long nowMs) {
        return Task.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(nowMs))
                .setServiceId(service.getId())
                .setServiceName(service.getSpec().getName())
                .setSlot(slot)
                .setSpec(service.getSpec().getContainer())
                .setDesiredState(TaskState.RUNNING)
                .setStatus(Actions.status(TaskState.NEW, "created", nowMs))
                .addAllPorts(service.getEndpointPortsList())
                .setRestart(service.getSpec().getRestart())
                .setNotBeforeMs(notBeforeMs)
                .build();
    }
}
