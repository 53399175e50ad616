package dev.flotilla.daemon.membership;

import dev.flotilla.common.DurableFiles;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What a node must remember to rejoin its swarm after a restart: its id, its role, the Raft group
 * (managers) or the managers to open a session with (workers), and where it advertises itself.
 * Written atomically once {@code swarm init} or {@code swarm join} has succeeded.
 */
public record SwarmState(String nodeId, UUID raftGroupId, String advertiseAddr, int raftPort, String role,
        List<String> managers) {

    public static final String MANAGER = "manager";
    public static final String WORKER = "worker";

    public SwarmState {
        role = role == null ? MANAGER : role;
        managers = managers == null ? List.of() : List.copyOf(managers);
    }

    @JsonIgnore
    public boolean isWorker() {
        return WORKER.equals(role);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static Optional<SwarmState> load(Path file) throws IOException {
        DurableFiles.removeLeftovers(file.getParent());
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readValue(file.toFile(), SwarmState.class));
    }

    public void save(Path file) throws IOException {
        DurableFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    }
}
