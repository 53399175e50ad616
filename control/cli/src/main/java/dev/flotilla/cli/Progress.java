package dev.flotilla.cli;

import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.ListServicesRequest;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.ServiceSummary;
import dev.flotilla.common.Ids;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * Docker's progress block for create and scale: waits until the service has exactly its
 * replicas running, then prints {@code overall progress}, one bar per task and
 * {@code verify: Service converged}. Task errors are printed as they appear; unlike Docker it
 * stops waiting, with a non-zero exit, when the service cannot converge.
 */
final class Progress {

    /** How often the task list is polled. */
    private static final long POLL_NANOS = 200_000_000L;
    private static final String BAR = "[" + "=".repeat(50) + ">]";

    private Progress() {
    }

    /** How often every slot's task must have been rejected before the CLI stops waiting. */
    static final int REJECTIONS = 3;

    /**
     * Waits for {@code service} to run exactly its replicas and prints the block; only errors of
     * tasks created from {@code sinceMs} on count. Returns 0 then, or 1 once every slot's task has
     * been rejected {@link #REJECTIONS} times or the spec's monitor period plus progress deadline
     * has passed (Docker waits forever, docker/cli#627); the service stays as it is.
     */
    static int await(DaemonClient client, Service service, long sinceMs, java.io.PrintStream out) {
        if (service.hasJobStatus()) {
            return JobProgress.await(client, service, out);
        }
        boolean global = service.getSpec().getMode() == ServiceSpec.Mode.GLOBAL;
        UpdateConfig c = service.getSpec().getUpdate();
        long deadlineMs = c.getProgressDeadlineMs() == 0 ? Long.MAX_VALUE : sinceMs + c.getMonitorMs() + c.getProgressDeadlineMs();
        String name = service.getSpec().getName();
        Map<Long, String> reported = new HashMap<>();
        while (true) {
            long replicas = global ? desired(client, service.getId()) : service.getSpec().getReplicas();
            List<Task> tasks = client.control()
                    .listTasks(ListTasksRequest.newBuilder().addServices(service.getId()).build()).getTasksList();
            long running = tasks.stream().filter(t -> wanted(t) && t.getStatus().getState() == TaskState.RUNNING).count();
            long stopping = tasks.stream().filter(t -> !wanted(t) && t.getStatus().getState().getNumber() <= TaskState.RUNNING_VALUE
                    && t.getStatus().getState().getNumber() >= TaskState.ASSIGNED_VALUE).count();
            List<Task> recent = tasks.stream().filter(t -> t.getMeta().getCreatedAtMs() >= sinceMs).toList();
            reportErrors(recent, replicas, reported, out);
            if (running == replicas && stopping == 0) {
                out.println("overall progress: " + running + " out of " + replicas + " tasks");
                if (global) {
                    // Docker's rows of a global service: one per node, by node id.
                    tasks.stream().filter(t -> wanted(t) && t.getStatus().getState() == TaskState.RUNNING)
                            .map(t -> Ids.shortId(t.getNodeId())).sorted()
                            .forEach(node -> out.println(node + ": running   " + BAR));
                } else {
                    for (long slot = 1; slot <= replicas; slot++) {
                        out.println(slot + "/" + replicas + ": running   " + BAR);
                    }
                }
                out.println("verify: Service converged");
                return 0;
            }
            Map<Long, Long> rejected = recent.stream().filter(t -> t.getStatus().getState() == TaskState.REJECTED)
                    .collect(Collectors.groupingBy(Task::getSlot, Collectors.counting()));
            boolean hopeless = replicas > 0 && LongStream.rangeClosed(1, replicas)
                    .allMatch(slot -> rejected.getOrDefault(slot, 0L) >= REJECTIONS);
            if (hopeless) {
                System.err.println("service " + name + " did not converge: every task was rejected " + REJECTIONS
                        + " times" + lastError(recent) + "\nThe service stays; change it with `flotilla service update` "
                        + "or remove it with `flotilla service rm`.");
                return 1;
            }
            if (System.currentTimeMillis() > deadlineMs) {
                System.err.println("service " + name + " did not converge within "
                        + Human.goDuration(c.getMonitorMs() + c.getProgressDeadlineMs()) + ": " + running + " out of "
                        + replicas + " tasks running" + lastError(recent));
                return 1;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** The tasks a service should run now, as the manager counts them (a global service: its eligible nodes). */
    static long desired(DaemonClient client, String serviceId) {
        return client.control().listServices(ListServicesRequest.getDefaultInstance()).getServicesList().stream()
                .filter(s -> s.getService().getId().equals(serviceId)).mapToLong(ServiceSummary::getDesired)
                .findFirst().orElse(0);
    }

    /** {@code ; the last error: <err>} of the newest task with one, or nothing. */
    private static String lastError(List<Task> tasks) {
        return tasks.stream().filter(t -> !t.getStatus().getErr().isEmpty())
                .max(java.util.Comparator.comparingLong(t -> t.getStatus().getTimestampMs()))
                .map(t -> "; the last error: " + t.getStatus().getErr()).orElse("");
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
