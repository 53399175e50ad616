package dev.flotilla.common;

/** How a task is named, as Docker names it: the slot as {@code service ps} shows it, the container as {@code ps} does. */
public final class TaskNames {

    private TaskNames() {
    }

    /** {@code <service>.<slot>}: the NAME column of {@code service ps}, shared by a slot's old and new tasks. */
    public static String slotName(String service, long slot) {
        return service + "." + slot;
    }

    /** {@code <service>.<slot>.<task id>}: the task's container, in {@code ps}, {@code exec} and DNS. */
    public static String containerName(String service, long slot, String taskId) {
        return slotName(service, slot) + "." + taskId;
    }
}
