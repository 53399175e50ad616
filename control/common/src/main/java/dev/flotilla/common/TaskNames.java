package dev.flotilla.common;

/**
 * How a task is named, as Docker names it: the slot as {@code service ps} shows it, the container
 * as {@code ps} does. A replicated task has a slot from 1; a global task has slot 0 and is named
 * after its node.
 */
public final class TaskNames {

    private TaskNames() {
    }

    /**
     * {@code <service>.<slot>}, or {@code <service>.<node id>} for a global task: the NAME column
     * of {@code service ps}, shared by a slot's old and new tasks.
     */
    public static String slotName(String service, long slot, String nodeId) {
        return service + "." + (slot == 0 ? nodeId : String.valueOf(slot));
    }

    /** {@code <slot name>.<task id>}: the task's container, in {@code ps}, {@code exec} and DNS. */
    public static String containerName(String service, long slot, String nodeId, String taskId) {
        return slotName(service, slot, nodeId) + "." + taskId;
    }
}
