/** Running an external command to completion with a deadline: {@link dev.flotilla.dataplane.process.CommandRunner}. */
package dev.flotilla.dataplane.process;
