package dev.flotilla.control.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;

/**
 * What a node must remember to rejoin its swarm after a restart: its id, the Raft group and
 * where it advertises itself. Written once, atomically, when {@code swarm init} has succeeded.
 */
public record SwarmState(String nodeId, UUID raftGroupId, String advertiseAddr, int raftPort) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static Optional<SwarmState> load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readValue(file.toFile(), SwarmState.class));
    }

    public void save(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), this);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
