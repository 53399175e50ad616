package dev.flotilla.cli;

import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Docker's progress block for create and scale: waits until the service has exactly its
 * replicas running, then prints {@code overall progress}, one bar per task and
 * {@code verify: Service converged}. Task errors are printed as they appear; like Docker it keeps
 * waiting (a rejected task is retried by the swarm), so scripts that may fail use {@code -d}.
 */
final class Progress {

    /** How often the task list is polled. */
    private static final long POLL_NANOS = 200_000_000L;
    private static final String BAR = "[" + "=".repeat(50) + ">]";

    private Progress() {
    }

    /** Waits for convergence; only errors of tasks created from {@code sinceMs} on are printed. */
    static void await(DaemonClient client, String serviceId, long replicas, long sinceMs) {
        await(client, serviceId, replicas, sinceMs, System.out);
    }

    /** As {@link #await(DaemonClient, String, long, long)}, printing to {@code out}. */
    static void await(DaemonClient client, String serviceId, long replicas, long sinceMs, java.io.PrintStream out) {
        Map<Long, String> reported = new HashMap<>();
        while (true) {
            List<Task> tasks = client.control()
                    .listTasks(ListTasksRequest.newBuilder().addServices(serviceId).build()).getTasksList();
            long running = tasks.stream().filter(t -> wanted(t) && t.getStatus().getState() == TaskState.RUNNING).count();
            long stopping = tasks.stream().filter(t -> !wanted(t) && t.getStatus().getState().getNumber() <= TaskState.RUNNING_VALUE
                    && t.getStatus().getState().getNumber() >= TaskState.ASSIGNED_VALUE).count();
            reportErrors(tasks.stream().filter(t -> t.getMeta().getCreatedAtMs() >= sinceMs).toList(),
                    replicas, reported, out);
            if (running == replicas && stopping == 0) {
                out.println("overall progress: " + running + " out of " + replicas + " tasks");
                for (long slot = 1; slot <= replicas; slot++) {
                    out.println(slot + "/" + replicas + ": running   " + BAR);
                }
                out.println("verify: Service converged");
                return;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Prints a slot's latest error when it differs from the one printed last for that slot. */
    private static void reportErrors(List<Task> tasks, long replicas, Map<Long, String> reported, java.io.PrintStream out) {
        Map<Long, Task> newest = new HashMap<>();
        for (Task t : tasks) {
            if (t.getStatus().getErr().isEmpty()) {
                continue;
            }
            newest.merge(t.getSlot(), t, (a, b) -> a.getMeta().getCreatedAtMs() >= b.getMeta().getCreatedAtMs() ? a : b);
        }
        newest.values().stream().sorted(java.util.Comparator.comparingLong(Task::getSlot)).forEach(t -> {
            String err = t.getStatus().getErr();
            if (!err.equals(reported.put(t.getSlot(), err))) {
                out.println(t.getSlot() + "/" + replicas + ": " + err);
            }
        });
    }

    private static boolean wanted(Task t) {
        return t.getDesiredState() == TaskState.RUNNING;
    }
}
