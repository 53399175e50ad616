package dev.flotilla.executor;

/**
 * Runs this node's task containers (swarmkit's executor): one {@link Controller} per container. The agent
 * drives tasks through these two interfaces only; {@link RuncExecutor} is the real one, and the executor's
 * test jar holds an in-memory fake for the agent's tests.
 */
public interface Executor {

    /** The controller of the container {@code spec} describes; nothing exists on the node before its {@link Controller#prepare()}. */
    Controller controller(ContainerSpec spec);

    /**
     * Makes sure {@code image} is on this node before a task's container is made: pulled from its
     * registry (with {@code credentials}, or anonymously when null), or already here. Runs on the
     * task's thread while the task is PREPARING.
     *
     * @throws RegistryException with the registry's reason when the node cannot have it
     */
    default void ensureImage(String image, Registry.Credentials credentials) {
    }

    /** Forgets the logs of every container not in {@code containerIds} (tasks the store no longer has). */
    default void retainLogs(java.util.Set<String> containerIds) {
    }
}
