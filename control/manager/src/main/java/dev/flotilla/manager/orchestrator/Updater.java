package dev.flotilla.manager.orchestrator;

import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.cluster.store.Credentials;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreConstraints;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Docker's rolling updater (swarmkit's {@code orchestrator/update}) as one pass over the store: for
 * each service whose update or rollback is in progress, it replaces the slots whose task differs
 * from the spec, {@code parallelism} at a time, waiting {@code delay} after each new task runs;
 * start-first keeps the old task until its replacement runs. A new task that fails before it has
 * run for {@code monitor}, or has not run within monitor plus the progress deadline, counts against
 * the update, and once failures over updated slots pass
 * {@code max_failure_ratio} the failure action fires (pause, or roll back). After the last slot it
 * watches one more monitor period, then marks the update completed. Everything it needs lives in
 * the store (the status's start time, each task's creation and running times), so a new leader
 * carries on where the last one was.
 */
public final class Updater {

    /** The ends of a new task that count as a failure of the update (a task stopped on purpose is SHUTDOWN). */
    private static final Set<TaskState> FAILURES = Set.of(TaskState.FAILED, TaskState.REJECTED, TaskState.COMPLETE);

    public List<StoreAction> reconcile(StoreView view, long nowMs) {
        List<StoreAction> actions = new ArrayList<>();
        for (Service service : view.services().values()) {
            UpdateStatus.State state = service.getUpdateStatus().getState();
            if (state == UpdateStatus.State.UPDATING || state == UpdateStatus.State.ROLLBACK_STARTED) {
                update(view, service, state == UpdateStatus.State.ROLLBACK_STARTED, nowMs, actions);
            }
        }
        return actions;
    }

    /** Whether {@code task} was made from another spec than the service's (an update replaces it). */
    public static boolean isDirty(StoreView view, Service service, Task task) {
        // New registry credentials alone replace no task (swarmkit ignores PullOptions likewise).
        return !Credentials.redacted(task.getSpec()).equals(Credentials.redacted(service.getSpec().getContainer()))
                || !task.getRestart().equals(service.getSpec().getRestart())
                || !task.getPortsList().equals(service.getEndpointPortsList())
                || !networks(view, task).equals(Set.copyOf(service.getSpec().getNetworksList()))
                // Placement is not part of a task: a change replaces only the tasks it misplaces.
                || Orchestrator.misplaced(view, service, task);
    }

    /**
     * The service networks {@code task} is attached to (not ingress, which follows its ports); a
     * task the allocator has not reached yet counts as attached to the spec's, as it will be.
     */
    private static Set<String> networks(StoreView view, Task task) {
        if (task.getStatus().getState() == TaskState.NEW) {
            return view.service(task.getServiceId()).map(s -> Set.copyOf(s.getSpec().getNetworksList())).orElse(Set.of());
        }
        String ingress = view.ingressNetwork().map(n -> n.getId()).orElse("");
        return task.getNetworksList().stream().map(a -> a.getNetworkId()).filter(id -> !id.equals(ingress))
                .collect(Collectors.toSet());
    }

    /** Whether replacing {@code service}'s live tasks is needed to run its spec. */
    public static boolean needsUpdate(StoreView view, Service service) {
        return view.tasksOfService(service.getId()).stream()
                .anyMatch(t -> Orchestrator.wantsRunning(t) && !TaskStates.isTerminal(t.getStatus().getState())
                        && isDirty(view, service, t));
    }

    private void update(StoreView view, Service service, boolean rollback, long nowMs, List<StoreAction> actions) {
        UpdateConfig config = rollback ? service.getSpec().getRollback() : service.getSpec().getUpdate();
        long startedMs = service.getUpdateStatus().getStartedAtMs();
        List<Task> tasks = view.tasksOfService(service.getId());
        // The slots the spec wants, in order: 1..replicas, or the nodes a global service runs on.
        Map<String, List<Task>> slots = new LinkedHashMap<>();
        if (service.getSpec().getMode() == ServiceSpec.Mode.GLOBAL) {
            view.nodes().values().stream().filter(n -> Orchestrator.eligibleForGlobal(n, service.getSpec())).map(Node::getId).sorted()
                    .forEach(id -> slots.put(id, new ArrayList<>()));
        } else {
            for (long slot = 1; slot <= service.getSpec().getReplicas(); slot++) {
                slots.put(String.valueOf(slot), new ArrayList<>());
            }
        }
        for (Task t : tasks) {
            List<Task> inSlot = slots.get(slotKey(t));
            if (inSlot != null) {
                inSlot.add(t);
            }
        }
        List<Task> fresh = tasks.stream()
                .filter(t -> t.getMeta().getCreatedAtMs() >= startedMs && !isDirty(view, service, t))
                .toList();

        if (config.getFailureAction() != UpdateConfig.FailureAction.CONTINUE) {
            List<Task> failed = fresh.stream()
                    .filter(t -> failedEarly(t, config.getMonitorMs()) || stalled(t, config, nowMs)).toList();
            long updated = slots.values().stream()
                    .filter(inSlot -> inSlot.stream().anyMatch(t -> fresh.contains(t) || isLiveDirty(view, service, t)))
                    .count();
            if (!failed.isEmpty() && failed.size() > config.getMaxFailureRatio() * Math.max(updated, 1)) {
                Task first = failed.stream().min(Comparator.comparingLong(t -> t.getStatus().getTimestampMs())).orElseThrow();
                actions.add(Actions.update(onFailure(view, service, rollback, config, first, nowMs)));
                return;
            }
        }

        int inFlight = 0;
        long lastRunningMs = 0;
        List<Task> dirty = new ArrayList<>();
        for (List<Task> inSlot : slots.values()) {
            Optional<Task> next = inSlot.stream()
                    .filter(t -> fresh.contains(t) && isLive(t) && !Orchestrator.onLostNode(view, t))
                    .max(Comparator.comparingLong(t -> t.getMeta().getCreatedAtMs()));
            List<Task> old = inSlot.stream().filter(t -> isLiveDirty(view, service, t)).toList();
            if (next.isEmpty()) {
                if (!old.isEmpty()) {
                    dirty.add(old.get(0));
                }
                continue;
            }
            Task n = next.get();
            if (n.getStatus().getState() != TaskState.RUNNING) {
                inFlight++;
                continue;
            }
            // Its replacement runs: a start-first slot's old task goes now.
            for (Task o : old) {
                actions.add(Actions.update(o.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
            }
            lastRunningMs = Math.max(lastRunningMs, n.getRunningAtMs());
            if (n.getRunningAtMs() + config.getDelayMs() > nowMs) {
                inFlight++;
            }
        }

        long room = config.getParallelism() == 0 ? Long.MAX_VALUE : config.getParallelism() - inFlight;
        for (int i = 0; i < dirty.size() && i < room; i++) {
            Task old = dirty.get(i);
            Task next = Orchestrator.newTask(service, old.getSlot(), 0, nowMs);
            actions.add(Actions.create(old.getSlot() == 0 ? next.toBuilder().setNodeId(old.getNodeId()).build() : next));
            if (config.getOrder() == UpdateConfig.Order.STOP_FIRST) {
                actions.add(Actions.update(old.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
            }
        }
        if (dirty.isEmpty() && inFlight == 0 && nowMs >= lastRunningMs + config.getMonitorMs()) {
            actions.add(Actions.update(completed(service, rollback, nowMs)));
        }
    }

    /** A replicated task's slot number, or a global task's node id. */
    private static String slotKey(Task t) {
        return t.getSlot() == 0 ? t.getNodeId() : String.valueOf(t.getSlot());
    }

    private static boolean isLive(Task t) {
        return Orchestrator.wantsRunning(t) && !TaskStates.isTerminal(t.getStatus().getState());
    }

    private static boolean isLiveDirty(StoreView view, Service service, Task t) {
        return isLive(t) && isDirty(view, service, t);
    }

    /** A new task that ended without having run for the monitor period. */
    private static boolean failedEarly(Task t, long monitorMs) {
        if (!FAILURES.contains(t.getStatus().getState())) {
            return false;
        }
        return t.getRunningAtMs() == 0 || t.getStatus().getTimestampMs() - t.getRunningAtMs() <= monitorMs;
    }

    /** A new task that has not run within the monitor period plus the progress deadline (Docker waits forever). */
    private static boolean stalled(Task t, UpdateConfig config, long nowMs) {
        return config.getProgressDeadlineMs() > 0 && isLive(t) && t.getStatus().getState() != TaskState.RUNNING
                && nowMs - t.getMeta().getCreatedAtMs() > config.getMonitorMs() + config.getProgressDeadlineMs();
    }

    private static Service onFailure(StoreView view, Service service, boolean rollback, UpdateConfig config, Task failed,
            long nowMs) {
        String cause = "due to failure or early termination of task " + failed.getId();
        Service.Builder b = service.toBuilder().setMeta(Actions.touched(service.getMeta(), nowMs));
        if (rollback) {
            return b.setUpdateStatus(status(service, UpdateStatus.State.ROLLBACK_PAUSED, "rollback paused " + cause, 0)).build();
        }
        if (config.getFailureAction() == UpdateConfig.FailureAction.ROLLBACK && service.hasPreviousSpec()) {
            // Docker clears the previous spec on an automatic rollback: a manual one afterwards has nothing to go back to.
            Service rolledBack = b.clone().setSpec(service.getPreviousSpec()).clearPreviousSpec()
                    .clearEndpointPorts().addAllEndpointPorts(service.getPreviousEndpointPortsList())
                    .clearPreviousEndpointPorts()
                    .setUpdateStatus(UpdateStatus.newBuilder().setState(UpdateStatus.State.ROLLBACK_STARTED)
                            .setStartedAtMs(nowMs).setMessage("update rolled back " + cause))
                    .build();
            // A port the previous spec published may have gone to another service meanwhile: the
            // store would refuse the rollback, so the update pauses and says why (the previous spec
            // stays for a manual rollback once the port is free).
            Optional<String> clash = StoreConstraints.serviceClash(view.services().values(), rolledBack);
            if (clash.isEmpty()) {
                return rolledBack;
            }
            return b.setUpdateStatus(status(service, UpdateStatus.State.PAUSED,
                    "update paused " + cause + "; it cannot roll back: " + clash.get(), 0)).build();
        }
        return b.setUpdateStatus(status(service, UpdateStatus.State.PAUSED, "update paused " + cause, 0)).build();
    }

    private static Service completed(Service service, boolean rollback, long nowMs) {
        UpdateStatus done = rollback
                ? status(service, UpdateStatus.State.ROLLBACK_COMPLETED, "rollback completed", nowMs)
                : status(service, UpdateStatus.State.COMPLETED, "update completed", nowMs);
        return service.toBuilder().setMeta(Actions.touched(service.getMeta(), nowMs)).setUpdateStatus(done).build();
    }

    private static UpdateStatus status(Service service, UpdateStatus.State state, String message, long completedMs) {
        return service.getUpdateStatus().toBuilder().setState(state).setMessage(message).setCompletedAtMs(completedMs).build();
    }
}
