/**
 * The node-local side of a task: the task controller interface ({@link dev.flotilla.executor.Executor},
 * {@link dev.flotilla.executor.Controller}: prepare, start, wait, shutdown, remove) the agent drives, and
 * behind it ({@link dev.flotilla.executor.RuncExecutor}) the image store ({@link dev.flotilla.executor.ImageStore})
 * and the runc container runtime ({@link dev.flotilla.executor.RuncRuntime}).
 *
 * <p>Every container lives in a bundle directory {@code <state-root>/<container-id>/} that holds everything a
 * restarted daemon needs to recognise it: the OCI {@code config.json}, {@code container.json} (name, image,
 * labels), the shim's pid, the container's log and, once it ended, its exit code.
 */
package dev.flotilla.executor;
