package dev.flotilla.daemon.membership;

/** What this node tells the swarm about itself, as `node ls` shows it: HOSTNAME and ENGINE VERSION. */
public record NodeDescription(String hostname, String engineVersion) {
}
