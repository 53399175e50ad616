package dev.flotilla.cli;

import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.common.Ids;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * Docker's progress of a job ({@code replicatedJobProgressUpdater}, {@code globalJobProgressUpdater}):
 * waits until every completion of the job's current iteration is done, prints {@code job progress},
 * {@code active tasks} and a row per slot (per node for a global job), then {@code job complete}.
 * Unlike Docker it stops waiting, with a non-zero exit, once a slot failed and its restart policy
 * gave up on it: such a job can never complete.
 */
final class JobProgress {

    private static final long POLL_NANOS = 200_000_000L;
    /** Polls a slot must look given up on before the verdict: the orchestrator's restart takes one pass. */
    private static final int GIVEN_UP_POLLS = 10;
    private static final String BAR = "[" + "=".repeat(50) + ">]";

    private JobProgress() {
    }

    static int await(DaemonClient client, Service service, PrintStream out) {
        long iteration = service.getJobStatus().getIteration();
        boolean global = service.getSpec().getMode() == ServiceSpec.Mode.GLOBAL_JOB;
        String name = service.getSpec().getName();
        int givenUpFor = 0;
        while (true) {
            List<Task> tasks = client.control()
                    .listTasks(ListTasksRequest.newBuilder().addServices(service.getId()).build()).getTasksList().stream()
                    .filter(t -> t.getJobIteration() == iteration).toList();
            Map<String, List<Task>> slots = tasks.stream()
                    .collect(Collectors.groupingBy(t -> global ? t.getNodeId() : Long.toString(t.getSlot()), TreeMap::new, Collectors.toList()));
            long total = global ? slots.size() : service.getSpec().getReplicas();
            long complete = slots.values().stream().filter(JobProgress::complete).count();
            if ((!global || !slots.isEmpty()) && complete == total) {
                long concurrent = global ? total : service.getSpec().getMaxConcurrent();
                out.println("job progress: " + complete + " out of " + total + " complete");
                out.println("active tasks: 0 out of " + Math.min(total - complete, concurrent) + " tasks");
                slots.forEach((slot, inSlot) -> out.println(
                        (global ? Ids.shortId(slot) : slot + "/" + total) + ": complete  " + BAR));
                out.println("job complete");
                return 0;
            }
            Optional<Task> givenUp = slots.values().stream().filter(s -> !complete(s) && s.stream().noneMatch(JobProgress::active))
                    .map(s -> s.stream().max(Comparator.comparingLong(t -> t.getMeta().getCreatedAtMs())).orElseThrow())
                    .findFirst();
            givenUpFor = givenUp.isPresent() ? givenUpFor + 1 : 0;
            if (givenUpFor >= GIVEN_UP_POLLS) {
                Task t = givenUp.get();
                System.err.println("job " + name + " cannot complete: " + (global ? "the task on node " + Ids.shortId(t.getNodeId())
                        : "slot " + t.getSlot()) + " failed and its restart policy gave up on it"
                        + (t.getStatus().getErr().isEmpty() ? "" : ": " + t.getStatus().getErr())
                        + "\n" + complete + " out of " + total + " complete; run it again with `flotilla service update --force " + name + "`.");
                return 1;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private static boolean complete(List<Task> slot) {
        return slot.stream().anyMatch(t -> t.getStatus().getState() == TaskState.COMPLETE);
    }

    /** A task that runs or will: desired COMPLETE, not finished yet. */
    private static boolean active(Task t) {
        return t.getDesiredState() == TaskState.COMPLETE && t.getStatus().getState().getNumber() < TaskState.COMPLETE_VALUE;
    }
}
