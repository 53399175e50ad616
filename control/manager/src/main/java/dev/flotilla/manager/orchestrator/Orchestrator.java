package dev.flotilla.manager.orchestrator;

import dev.flotilla.cluster.store.Actions;

import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.RestartPolicy;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.cluster.placement.Constraint;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
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
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The replicated orchestrator, restart supervisor and task reaper in one pass: it compares each
 * service's slots with its spec and answers the store actions that close the gap. A slot whose
 * task ended by itself is restarted as its restart policy says, or left empty when it says no
 * more (until the spec changes, as in Docker). A pure
 * function of the store and the clock, so it is tested without a cluster.
 */
public final class Orchestrator {

    /** A task that ran this long before it ended ends a slot's failure streak (Kubernetes' 10 minutes). */
    static final long HEALTHY_RUN_MS = 600_000;
    /** Restart times a task carries: enough for any window, bounded for slots that restart forever. */
    static final int MAX_KEPT_RESTARTS = 1000;

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
        switch (service.getSpec().getMode()) {
            case GLOBAL -> reconcileGlobal(view, service, tasks, nowMs, actions);
            case REPLICATED_JOB -> reconcileReplicatedJob(view, service, tasks, nowMs, actions);
            case GLOBAL_JOB -> reconcileGlobalJob(view, service, tasks, nowMs, actions);
            default -> reconcileReplicated(view, service, tasks, nowMs, actions);
        }
    }

    private void reconcileReplicated(StoreView view, Service service, List<Task> tasks, long nowMs, List<StoreAction> actions) {
        long replicas = service.getSpec().getReplicas();
        Map<Long, List<Task>> slots = new TreeMap<>();
        for (Task t : tasks) {
            slots.computeIfAbsent(t.getSlot(), s -> new ArrayList<>()).add(t);
        }
        for (long slot = 1; slot <= replicas; slot++) {
            long s = slot;
            reconcileSlot(view, service, slots.getOrDefault(slot, List.of()),
                    notBefore -> newTask(service, s, notBefore, nowMs), nowMs, actions);
        }
        for (Map.Entry<Long, List<Task>> e : slots.entrySet()) {
            if (e.getKey() > replicas) {
                shutDownLive(e.getValue(), actions);
            }
            reapHistory(e.getValue(), actions);
        }
    }

    /**
     * A global service: one task on every Ready, Active node, made for that node; a node that is
     * drained, Down or removed has its task shut down, and gets a new one when it is back.
     */
    private void reconcileGlobal(StoreView view, Service service, List<Task> tasks, long nowMs, List<StoreAction> actions) {
        Map<String, List<Task>> byNode = tasks.stream().collect(Collectors.groupingBy(Task::getNodeId));
        for (Node node : view.nodes().values()) {
            if (eligibleForGlobal(node, service.getSpec())) {
                reconcileSlot(view, service, byNode.getOrDefault(node.getId(), List.of()),
                        notBefore -> newTask(service, 0, notBefore, nowMs).toBuilder().setNodeId(node.getId()).build(),
                        nowMs, actions);
            }
        }
        for (Map.Entry<String, List<Task>> e : byNode.entrySet()) {
            boolean eligible = view.node(e.getKey()).map(n -> eligibleForGlobal(n, service.getSpec())).orElse(false);
            if (!eligible) {
                shutDownLive(e.getValue(), actions);
            }
            reapHistory(e.getValue(), actions);
        }
    }

    /**
     * A replicated job (swarmkit's {@code jobs/replicated}): slots 1..replicas each end with one
     * complete task, at most max-concurrent running at once. A failed task is restarted as the
     * restart policy says (condition any counts as on-failure: a completed task is never run
     * again); a slot the policy gives up on stays failed and frees its place for the next slot.
     * Tasks of earlier iterations are stopped and kept as history.
     */
    private void reconcileReplicatedJob(StoreView view, Service service, List<Task> tasks, long nowMs, List<StoreAction> actions) {
        long iteration = service.getJobStatus().getIteration();
        Map<Long, List<Task>> slots = new TreeMap<>();
        for (Task t : tasks) {
            if (t.getJobIteration() == iteration) {
                slots.computeIfAbsent(t.getSlot(), s -> new ArrayList<>()).add(t);
            } else {
                shutDownLive(List.of(t), actions);
            }
        }
        long total = service.getSpec().getReplicas();
        long active = 0;
        long settled = 0;
        for (Map.Entry<Long, List<Task>> e : slots.entrySet()) {
            long slot = e.getKey();
            if (slot > total) {
                shutDownLive(e.getValue(), actions);
                continue;
            }
            if (reconcileJobSlot(view, service, e.getValue(), notBefore -> newTask(service, slot, notBefore, nowMs), nowMs, actions)) {
                active++;
            } else {
                settled++;
            }
        }
        long concurrent = service.getSpec().getMaxConcurrent() == 0 ? total : service.getSpec().getMaxConcurrent();
        long fresh = Math.min(concurrent - active, total - active - settled);
        for (long slot = 1; slot <= total && fresh > 0; slot++) {
            if (!slots.containsKey(slot)) {
                actions.add(Actions.create(newTask(service, slot, 0, nowMs)));
                fresh--;
            }
        }
        reapJobHistory(tasks, actions);
    }

    /**
     * A global job: one complete task on every Ready, Active node, nodes that join later too; a
     * node that becomes ineligible has its running task stopped.
     */
    private void reconcileGlobalJob(StoreView view, Service service, List<Task> tasks, long nowMs, List<StoreAction> actions) {
        long iteration = service.getJobStatus().getIteration();
        Map<String, List<Task>> byNode = new TreeMap<>();
        for (Task t : tasks) {
            if (t.getJobIteration() == iteration) {
                byNode.computeIfAbsent(t.getNodeId(), n -> new ArrayList<>()).add(t);
            } else {
                shutDownLive(List.of(t), actions);
            }
        }
        for (Node node : view.nodes().values()) {
            if (!eligibleForGlobal(node, service.getSpec())) {
                continue;
            }
            LongFunction<Task> make = notBefore -> newTask(service, 0, notBefore, nowMs).toBuilder().setNodeId(node.getId()).build();
            List<Task> onNode = byNode.getOrDefault(node.getId(), List.of());
            if (onNode.isEmpty()) {
                actions.add(Actions.create(make.apply(0)));
            } else {
                reconcileJobSlot(view, service, onNode, make, nowMs, actions);
            }
        }
        for (Map.Entry<String, List<Task>> e : byNode.entrySet()) {
            if (!view.node(e.getKey()).map(n -> eligibleForGlobal(n, service.getSpec())).orElse(false)) {
                shutDownLive(e.getValue(), actions);
            }
        }
        reapJobHistory(tasks, actions);
    }

    /**
     * One slot of a job; true while it is active (a task runs or will), false once settled: a
     * task completed, or the restart policy gave up on it. A completed task keeps its desired
     * state COMPLETE, as Docker shows it.
     */
    private static boolean reconcileJobSlot(StoreView view, Service service, List<Task> inSlot, LongFunction<Task> make,
            long nowMs, List<StoreAction> actions) {
        if (inSlot.stream().anyMatch(t -> t.getStatus().getState() == TaskState.COMPLETE)) {
            return false;
        }
        for (Task t : inSlot) {
            if (wantsRunning(t) && !TaskStates.isTerminal(t.getStatus().getState())) {
                if (!onLostNode(view, t)) {
                    return true;
                }
                actions.add(Actions.update(t.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
                actions.add(Actions.create(make.apply(0)));
                return true;
            }
        }
        for (Task t : inSlot) {
            if (wantsRunning(t)) {
                actions.add(Actions.update(t.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
            }
        }
        Task newest = inSlot.stream().max(Comparator.comparingLong((Task t) -> t.getMeta().getCreatedAtMs())).orElseThrow();
        if (!endedByItself(newest)) {
            actions.add(Actions.create(make.apply(0)));
            return true;
        }
        Optional<Task> again = restart(service, newest, make, nowMs);
        again.ifPresent(t -> actions.add(Actions.create(t)));
        return again.isPresent();
    }

    /** A job's history, earlier iterations' tasks included, kept per slot (a global job's: per node). */
    private void reapJobHistory(List<Task> tasks, List<StoreAction> actions) {
        tasks.stream().collect(Collectors.groupingBy(t -> t.getSlot() == 0 ? t.getNodeId() : Long.toString(t.getSlot())))
                .values().forEach(slot -> reapHistory(slot, actions));
    }

    /** Whether a global service runs a task on {@code node}: Ready, Active, and meeting its constraints. */
    public static boolean eligibleForGlobal(Node node, ServiceSpec spec) {
        return node.getState() == NodeState.NODE_READY && node.getAvailability() == NodeAvailability.ACTIVE
                && meetsConstraints(node, spec);
    }

    /** Whether {@code node} satisfies the spec's placement constraints (a spec the API refused never does). */
    public static boolean meetsConstraints(Node node, ServiceSpec spec) {
        try {
            return Constraint.allMatch(Constraint.parse(spec.getPlacement().getConstraintsList()), node);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A live task on a node that no longer meets its service's constraints (its labels changed). */
    static boolean misplaced(StoreView view, Service service, Task t) {
        return !t.getNodeId().isEmpty() && service.getSpec().getPlacement().getConstraintsCount() > 0
                && view.node(t.getNodeId()).map(n -> !meetsConstraints(n, service.getSpec())).orElse(false);
    }

    private static boolean updating(Service service) {
        UpdateStatus.State state = service.getUpdateStatus().getState();
        return state == UpdateStatus.State.UPDATING || state == UpdateStatus.State.ROLLBACK_STARTED;
    }

    /**
     * One slot (a replicated slot, or a node of a global service): nothing while a task runs there;
     * a task on a lost node is replaced at once; a task that ended by itself is retired and
     * restarted as the restart policy says; an empty slot, or one whose task was stopped on purpose
     * or is of an older spec, gets a new task now.
     */
    private static void reconcileSlot(StoreView view, Service service, List<Task> inSlot, LongFunction<Task> make,
            long nowMs, List<StoreAction> actions) {
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
        if (live != null && service.getSpec().getMode() != ServiceSpec.Mode.GLOBAL
                && misplaced(view, service, live) && !updating(service)) {
            // swarmkit's constraint enforcer: a node's labels changed under a running task. The
            // task is rejected where it is and replaced now; the scheduler places the new one.
            // (During an update the updater replaces it in its turn: a misplaced task is dirty.)
            actions.add(Actions.update(live.toBuilder().setDesiredState(TaskState.SHUTDOWN)
                    .setStatus(Actions.status(TaskState.REJECTED, "task rejected by constraint enforcer", nowMs)
                            .toBuilder().setErr("assigned node no longer meets constraints"))
                    .build()));
            actions.add(Actions.create(make.apply(0)));
            return;
        }
        if (live != null) {
            return;
        }
        if (lost != null) {
            // Its node is Down or gone: the task cannot report; replace it now, elsewhere.
            actions.add(Actions.update(lost.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
            actions.add(Actions.create(make.apply(0)));
            return;
        }
        for (Task t : inSlot) {
            if (wantsRunning(t)) {
                // The slot's task died: retire it.
                actions.add(Actions.update(t.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
            }
        }
        Task newest = inSlot.stream().max(Comparator.comparingLong((Task t) -> t.getMeta().getCreatedAtMs())).orElse(null);
        if (newest == null || !endedByItself(newest) || Updater.isDirty(view, service, newest)) {
            actions.add(Actions.create(make.apply(0)));
            return;
        }
        restart(service, newest, make, nowMs).ifPresent(t -> actions.add(Actions.create(t)));
    }

    private static void shutDownLive(List<Task> tasks, List<StoreAction> actions) {
        for (Task t : tasks) {
            if (wantsRunning(t)) {
                actions.add(Actions.update(t.toBuilder().setDesiredState(TaskState.SHUTDOWN).build()));
            }
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

    /** A task that ended without being asked to: exited, failed, or was rejected by its node. */
    private static boolean endedByItself(Task t) {
        TaskState s = t.getStatus().getState();
        return s == TaskState.COMPLETE || s == TaskState.FAILED || s == TaskState.REJECTED;
    }

    /**
     * The restart supervisor: the replacement of {@code dead} under the service's restart policy,
     * or nothing when the policy says no more (its condition, or max attempts within the window).
     * The slot's restart times and failure streak ride on its newest task, so they are in the
     * store and survive a new leader; the delay doubles with the streak up to the max delay.
     */
    private static Optional<Task> restart(Service service, Task dead, LongFunction<Task> make, long nowMs) {
        RestartPolicy policy = service.getSpec().getRestart();
        boolean allowed = switch (policy.getCondition()) {
            case NONE -> false;
            case ON_FAILURE -> dead.getStatus().getState() != TaskState.COMPLETE;
            // A job's completed task is done: any counts as on-failure there (swarmkit's rule).
            default -> !isJob(service.getSpec()) || dead.getStatus().getState() != TaskState.COMPLETE;
        };
        if (!allowed) {
            return Optional.empty();
        }
        List<Long> restarts = new ArrayList<>();
        for (long at : dead.getRestartsMsList()) {
            if (policy.getWindowMs() == 0 || at > nowMs - policy.getWindowMs()) {
                restarts.add(at);
            }
        }
        if (policy.getMaxAttempts() > 0 && restarts.size() >= policy.getMaxAttempts()) {
            return Optional.empty();
        }
        restarts.add(nowMs);
        boolean ranWell = dead.getRunningAtMs() > 0 && dead.getStatus().getTimestampMs() - dead.getRunningAtMs() >= HEALTHY_RUN_MS;
        int streak = ranWell ? 1 : dead.getFailureStreak() + 1;
        return Optional.of(make.apply(nowMs + delay(policy, streak)).toBuilder()
                .addAllRestartsMs(restarts.subList(Math.max(0, restarts.size() - MAX_KEPT_RESTARTS), restarts.size()))
                .setFailureStreak(streak)
                .build());
    }

    /** The restart delay after the {@code streak}-th consecutive failure: doubled each time, at most the max delay. */
    static long delay(RestartPolicy policy, int streak) {
        long max = Math.max(policy.getMaxDelayMs(), policy.getDelayMs());
        long d = policy.getDelayMs();
        for (int i = 1; i < streak && d < max; i++) {
            d *= 2;
        }
        return Math.min(d, max);
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
        return TaskStates.wantsToRun(t);
    }

    /** Whether {@code spec} is a replicated or global job's. */
    public static boolean isJob(ServiceSpec spec) {
        ServiceSpec.Mode mode = spec.getMode();
        return mode == ServiceSpec.Mode.REPLICATED_JOB || mode == ServiceSpec.Mode.GLOBAL_JOB;
    }

    /** A new task of {@code service} in {@code slot}; a job's runs to completion, for the job's current iteration. */
    public static Task newTask(Service service, long slot, long notBeforeMs, long nowMs) {
        boolean job = isJob(service.getSpec());
        return Task.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(nowMs))
                .setServiceId(service.getId())
                .setServiceName(service.getSpec().getName())
                .setSlot(slot)
                .setSpec(service.getSpec().getContainer())
                .setDesiredState(job ? TaskState.COMPLETE : TaskState.RUNNING)
                .setJobIteration(job ? service.getJobStatus().getIteration() : 0)
                .setStatus(Actions.status(TaskState.NEW, "created", nowMs))
                .addAllPorts(service.getEndpointPortsList())
                .setRestart(service.getSpec().getRestart())
                .setNotBeforeMs(notBeforeMs)
                .build();
    }
}
