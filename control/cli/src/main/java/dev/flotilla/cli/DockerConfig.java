package dev.flotilla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.api.v1.RegistryAuth;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The docker CLI's {@code config.json} ({@code $DOCKER_CONFIG/config.json}, else
 * {@code ~/.docker/config.json}): {@code login} keeps a registry's credentials there as Docker
 * does ({@code "auths": {"HOST:PORT": {"auth": base64(user:password)}}}), so {@code docker login}
 * and {@code flotilla login} share them; other keys in the file are kept as they are.
 */
final class DockerConfig {

    /** Docker Hub's key in {@code auths}, as the docker CLI writes it. */
    static final String DOCKER_HUB = "https://index.docker.io/v1/";

    private final Path file;

    DockerConfig(Path file) {
        this.file = file;
    }

    /** The file the docker CLI would use for this process. */
    static DockerConfig forUser() {
        String dir = System.getenv("DOCKER_CONFIG");
        return new DockerConfig((dir != null && !dir.isEmpty() ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".docker")).resolve("config.json"));
    }

    Path file() {
        return file;
    }

    /** {@code login}'s key for {@code server}: Docker Hub's URL, or {@code HOST[:PORT]} without scheme or path. */
    static String key(String server) {
        if (server == null || server.isEmpty() || isDockerHub(hostname(server))) {
            return DOCKER_HUB;
        }
        return hostname(server);
    }

    /** The registry an image reference names: its first component if that is a host, else Docker Hub. */
    static String registryOf(String image) {
        int slash = image.indexOf('/');
        if (slash > 0) {
            String first = image.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                return key(first);
            }
        }
        return DOCKER_HUB;
    }

    private static String hostname(String server) {
        String s = server.replaceFirst("^[a-zA-Z]+://", "");
        int slash = s.indexOf('/');
        return (slash >= 0 ? s.substring(0, slash) : s).toLowerCase(Locale.ROOT);
    }

    private static boolean isDockerHub(String host) {
        return List.of("docker.io", "index.docker.io", "registry-1.docker.io").contains(host);
    }

    /** The credentials kept for {@code registry} (a {@link #key}), if any. */
    Optional<RegistryAuth> credentials(String registry) {
        JsonNode auths = read().path("auths");
        for (var it = auths.fields(); it.hasNext(); ) {
            var entry = it.next();
            if (key(entry.getKey()).equals(registry)) {
                String auth = entry.getValue().path("auth").asText("");
                if (auth.isEmpty()) {
                    continue;
                }
                String pair = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                if (colon > 0) {
                    return Optional.of(RegistryAuth.newBuilder().setUsername(pair.substring(0, colon))
                            .setPassword(pair.substring(colon + 1)).build());
                }
            }
        }
        return Optional.empty();
    }

    /** Keeps {@code auth} for {@code registry}, replacing what was there; the file is 0600. */
    void store(String registry, RegistryAuth auth) {
        ObjectNode config = read();
        ObjectNode auths = config.has("auths") && config.get("auths").isObject()
                ? (ObjectNode) config.get("auths") : config.putObject("auths");
        String token = Base64.getEncoder().encodeToString(
                (auth.getUsername() + ":" + auth.getPassword()).getBytes(StandardCharsets.UTF_8));
        auths.putObject(registry).put("auth", token);
        write(config);
    }

    /** Forgets {@code registry}'s credentials; false if there were none. */
    boolean remove(String registry) {
        ObjectNode config = read();
        JsonNode auths = config.path("auths");
        if (!auths.isObject()) {
            return false;
        }
        List<String> keys = new java.util.ArrayList<>();
        auths.fieldNames().forEachRemaining(k -> {
            if (key(k).equals(registry)) {
                keys.add(k);
            }
        });
        keys.forEach(((ObjectNode) auths)::remove);
        if (!keys.isEmpty()) {
            write(config);
        }
        return !keys.isEmpty();
    }

    private ObjectNode read() {
        try {
            if (!Files.exists(file)) {
                return ServiceJson.JSON.createObjectNode();
            }
            JsonNode node = ServiceJson.JSON.readTree(file.toFile());
            if (!(node instanceof ObjectNode o)) {
                throw new Main.CliException("Error: " + file + " is not a JSON object");
            }
            return o;
        } catch (IOException e) {
            throw new Main.CliException("Error: cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Written to a 0600 file beside it, then renamed over it: never half written, never readable by others. */
    private void write(ObjectNode config) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".config", ".json",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(tmp, ServiceJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
