package dev.flotilla.agent;

import java.util.List;

/** Where a task's network namespace comes from: {@link SandboxNetwork} on a node, a fake in tests. */
interface TaskSandboxes {

    /** Creates the task's namespace with one link per attachment; returns the namespace's name. */
    String createTaskSandbox(String taskId, List<SandboxNetwork.Attachment> attachments);

    /** The name of the task's namespace, whether or not it exists. */
    String taskNetns(String taskId);

    /** Removes the task's namespace and its links; fine if there is none. */
    void removeTaskSandbox(String taskId);
}
