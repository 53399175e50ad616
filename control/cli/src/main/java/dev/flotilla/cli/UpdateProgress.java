package dev.flotilla.cli;

import dev.flotilla.api.v1.GetServiceRequest;
import dev.flotilla.api.v1.ListTasksRequest;
import dev.flotilla.api.v1.ListTasksResponse;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.UpdateConfig;
import dev.flotilla.api.v1.UpdateStatus;
import dev.flotilla.common.Ids;
import dev.flotilla.common.TaskNames;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Docker's progress block for {@code service update} and {@code service rollback}: the slots
 * running a task of this update, {@code verify: Waiting N seconds to verify that tasks are
 * stable...} while the manager watches the last ones, then the manager's verdict. Unlike Docker,
 * an update that ends paused or rolled back by itself exits non-zero and names the task that
 * failed it (docker/cli#6752), so a script or CI job can tell.
 */
final class UpdateProgress {

    private static final long POLL_NANOS = 200_000_000L;
    private static final String BAR = "[" + "=".repeat(50) + ">]";

    private UpdateProgress() {
    }

    /** Waits for the update of {@code after} to end; returns the command's exit code. */
    static int await(DaemonClient client, Service after, boolean manualRollback, boolean quiet) {
        PrintStream out = quiet ? new PrintStream(OutputStream.nullOutputStream()) : System.out;
        if (!after.hasUpdateStatus()) {
            // No task differs from the new spec: only the replica count can have changed.
            return Progress.await(client, after, after.getMeta().getUpdatedAtMs(), out);
        }
        String lastProgress = null;
        long lastWait = -1;
        String rollbackReason = null;
        while (true) {
            Service s = client.control().getService(GetServiceRequest.newBuilder().setService(after.getId()).build()).getService();
            ListTasksResponse r = client.control().listTasks(ListTasksRequest.newBuilder().addServices(after.getId()).build());
            UpdateStatus u = s.getUpdateStatus();
            boolean rollingBack = u.getState().getNumber() >= UpdateStatus.State.ROLLBACK_STARTED_VALUE;
            if (rollingBack && rollbackReason == null) {
                out.println("rollback: " + u.getMessage());
                rollbackReason = u.getMessage();
            }
            boolean global = s.getSpec().getMode() == ServiceSpec.Mode.GLOBAL;
            long replicas = global ? Progress.desired(client, s.getId()) : s.getSpec().getReplicas();
            List<Task> current = r.getTasksList().stream()
                    .filter(t -> t.getMeta().getCreatedAtMs() >= u.getStartedAtMs() && t.getSlot() <= replicas
                            && t.getDesiredState() == TaskState.RUNNING && t.getStatus().getState() == TaskState.RUNNING)
                    .toList();
            long running = current.stream().map(t -> t.getSlot() == 0 ? t.getNodeId() : String.valueOf(t.getSlot()))
                    .distinct().count();
            String progress = "overall progress: " + (rollingBack ? "rolling back update: " : "") + running + " out of "
                    + replicas + " tasks";
            if (!progress.equals(lastProgress)) {
                out.println(progress);
                lastProgress = progress;
            }
            switch (u.getState()) {
                case COMPLETED, ROLLBACK_COMPLETED -> {
                    if (global) {
                        current.stream().map(t -> Ids.shortId(t.getNodeId())).sorted()
                                .forEach(node -> out.println(node + ": running   " + BAR));
                    } else {
                        for (long slot = 1; slot <= replicas; slot++) {
                            out.println(slot + "/" + replicas + ": running   " + BAR);
                        }
                    }
                    out.println("verify: Service " + s.getId() + " converged");
                    if (u.getState() == UpdateStatus.State.ROLLBACK_COMPLETED && !manualRollback) {
                        System.err.println("service rolled back: " + rollbackReason + culprit(rollbackReason, r));
                        return 1;
                    }
                    return 0;
                }
                case PAUSED -> {
                    System.err.println("service update paused: " + u.getMessage() + culprit(u.getMessage(), r));
                    return 1;
                }
                case ROLLBACK_PAUSED -> {
                    System.err.println("service rollback paused: " + u.getMessage() + culprit(u.getMessage(), r));
                    return 1;
                }
                default -> {
                    if (running == replicas) {
                        UpdateConfig c = rollingBack ? s.getSpec().getRollback() : s.getSpec().getUpdate();
                        long last = current.stream().mapToLong(Task::getRunningAtMs).max().orElse(0);
                        long left = (last + c.getMonitorMs() - System.currentTimeMillis() + 999) / 1000;
                        if (left > 0 && left != lastWait) {
                            out.println("verify: Waiting " + left + " seconds to verify that tasks are stable...");
                            lastWait = left;
                        }
                    }
                }
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** The task an update status names, as {@code service ps} shows it: {@code \n<name>.<slot> on <node>: <error>}. */
    private static String culprit(String message, ListTasksResponse r) {
        for (Task t : r.getTasksList()) {
            if (!t.getId().isEmpty() && message.endsWith(t.getId())) {
                String why = t.getStatus().getErr().isEmpty() ? Human.state(t.getStatus().getState()) : t.getStatus().getErr();
                return "\n" + TaskNames.slotName(t.getServiceName(), t.getSlot(), t.getNodeId()) + " on "
                        + r.getNodeHostnamesOrDefault(t.getNodeId(), "no node") + ": " + why;
            }
        }
        return "";
    }
}
