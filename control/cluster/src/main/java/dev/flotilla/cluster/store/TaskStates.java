package dev.flotilla.cluster.store;

import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;

/**
 * The one guard on task state changes: a task only moves forward. A restart is a new task in
 * the same slot, never a step back (swarmkit's rule).
 */
public final class TaskStates {

    private TaskStates() {
    }

    /** Whether a task in {@code from} may be reported in {@code to}. */
    public static boolean canMove(TaskState from, TaskState to) {
        return to.getNumber() > from.getNumber();
    }

    /** COMPLETE and every state after it: the container is gone or never came. */
    public static boolean isTerminal(TaskState state) {
        return state.getNumber() >= TaskState.COMPLETE_VALUE;
    }

    /** A task that is, or is on its way to be, running. */
    public static boolean isLive(TaskState state) {
        return state.getNumber() <= TaskState.RUNNING_VALUE;
    }

    /**
     * Whether {@code task} is meant to run: desired RUNNING, or, for a job's task, COMPLETE (it
     * runs until it exits). Past that it is being stopped or removed.
     */
    public static boolean wantsToRun(Task task) {
        return task.getDesiredState().getNumber() <= TaskState.COMPLETE_VALUE;
    }

    /**
     * Whether {@code task} serves traffic: it runs and is meant to. Only such tasks are DNS answers,
     * VIP and routing-mesh backends, and the RUNNING count of {@code service ls}; a task being
     * stopped (desired state past RUNNING, or COMPLETE for a job) leaves them before its container ends.
     */
    public static boolean servesTraffic(Task task) {
        return wantsToRun(task) && task.getStatus().getState() == TaskState.RUNNING;
    }
}
