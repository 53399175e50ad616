package dev.flotilla.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.dataplane.process.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OCI registries, spoken to through Debian's {@code skopeo} (containers/image: Docker Hub and
 * private registries, Docker schema 2 and OCI manifests and indexes, gzip and zstd layers, token
 * and basic auth) and {@code umoci} (layers applied in order, whiteouts included).
 *
 * <p>Pulled images land in one OCI layout on the node ({@code <images>/layout}, each image tagged
 * there by its manifest digest), so a layer two images share is stored once, by digest; skopeo skips
 * a blob the layout already has. From an index skopeo copies the entry of this node's platform.
 *
 * <p>TLS: a registry named by {@link Options#insecure} is spoken to over plain HTTP or unverified
 * HTTPS; otherwise its certificate must verify against the system's CAs or the files of
 * {@code <certsDir>/HOST:PORT/} (Docker's {@code certs.d} layout: {@code ca.crt}, and a client's
 * {@code client.cert}/{@code client.key}).
 */
public final class Registry {

    /** A pull of a few hundred megabytes over a slow link; a stuck registry fails past this. */
    static final Duration PULL_TIMEOUT = Duration.ofMinutes(15);
    /** A digest lookup: within the CLI's 30 s for `service create`, which waits for it. */
    static final Duration INSPECT_TIMEOUT = Duration.ofSeconds(20);
    /** skopeo's {@code level=fatal msg="..."} line. */
    private static final Pattern FATAL = Pattern.compile("msg=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /**
     * @param insecure registries ({@code HOST:PORT}) spoken to without TLS verification, Docker's {@code --insecure-registry}
     * @param certsDir Docker's {@code certs.d}: a directory per registry with its CA and client certificate
     */
    public record Options(Set<String> insecure, Path certsDir) {
        public static final Options DEFAULT = new Options(Set.of(), Path.of("/etc/flotilla/certs.d"));

        public Options {
            insecure = Set.copyOf(insecure);
        }
    }

    /** A user and password for a registry; {@link #toString} shows the user only. */
    public record Credentials(String username, String password) {
        public Credentials {
            if (username == null || username.isEmpty() || password == null || password.isEmpty()) {
                throw new IllegalArgumentException("registry credentials need a username and a password");
            }
        }

        @Override
        public String toString() {
            return "Credentials[" + username + "]";
        }
    }

    /** A pulled image: its manifest's digest, its tag in the layout, and its config. */
    record Pulled(String manifestDigest, String layoutTag, ImageConfig config, String configDigest) {
    }

    private final Options options;
    private final Path layout;
    /** Root-only: where credentials are written for the one skopeo run that needs them. */
    private final Path scratch;

    Registry(Options options, Path layout, Path scratch) {
        this.options = options;
        this.layout = layout;
        this.scratch = scratch;
    }

    /**
     * The digest of the manifest (or index) {@code ref} names at its registry now: what Docker's
     * manager pins a service's image to.
     *
     * @throws RegistryException with the registry's reason ({@code manifest unknown}, {@code no such host}, ...)
     */
    public String resolve(ImageReference ref, Credentials credentials) {
        List<String> argv = new ArrayList<>(List.of("skopeo", "inspect", "--raw", "--retry-times", "1"));
        argv.addAll(tlsFlags(ref.registry(), ""));
        argv.add("docker://" + ref.exact());
        Commands.Result r = withCredentials(ref.registry(), credentials, "", argv);
        if (!r.succeeded()) {
            throw new RegistryException(ref, reason(r.stderr()));
        }
        byte[] manifest = r.stdout().getBytes(StandardCharsets.UTF_8);
        if (manifest.length >= CommandRunner.MAX_OUTPUT_BYTES) {
            throw new RegistryException(ref, "manifest larger than " + CommandRunner.MAX_OUTPUT_BYTES + " bytes");
        }
        return sha256(manifest);
    }

    /**
     * Copies {@code ref} (which names a digest) into the layout and unpacks its layers into {@code rootfs}
     * (which must not exist). The caller serializes pulls: skopeo rewrites the layout's index.
     */
    Pulled pull(ImageReference ref, Path rootfs, Credentials credentials) {
        String tag = ref.digest().substring("sha256:".length());
        // umoci 0.4.7 reads gzip (and plain) layers only: zstd ones are stored re-compressed, gzip ones as they are.
        List<String> copy = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--retry-times", "2",
                "--dest-compress", "--dest-compress-format", "gzip"));
        copy.addAll(tlsFlags(ref.registry(), "src-"));
        copy.add("docker://" + ref.exact());
        copy.add("oci:" + layout + ":" + tag);
        Commands.Result r = withCredentials(ref.registry(), credentials, "src-", copy);
        if (!r.succeeded()) {
            throw new RegistryException(ref, reason(r.stderr()));
        }
        Commands.run(PULL_TIMEOUT, List.of("umoci", "raw", "unpack", "--image", layout + ":" + tag, rootfs.toString()))
                .orThrow();
        try {
            JsonNode manifest = manifestOf(tag);
            String configDigest = manifest.at("/config/digest").asText();
            JsonNode config = Json.MAPPER.readTree(blob(configDigest).toFile());
            return new Pulled(ref.digest(), tag, ImageConfig.fromOci(config.path("config")), configDigest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the config of " + ref + " in " + layout + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks {@code credentials} with {@code server} ({@code HOST[:PORT]}), as {@code docker login} does.
     *
     * @throws RegistryException with the registry's reason ({@code unauthorized: ...})
     */
    public void login(String server, Credentials credentials) {
        Path authfile = authfile(server, null);
        try {
            List<String> argv = new ArrayList<>(List.of("skopeo", "login", "--authfile", authfile.toString(),
                    "--username", credentials.username(), "--password-stdin"));
            argv.addAll(tlsFlags(server, ""));
            argv.add(server);
            Commands.Result r = Commands.run(INSPECT_TIMEOUT, argv, credentials.password() + "\n");
            if (!r.succeeded()) {
                throw new RegistryException(server, reason(r.stderr()));
            }
        } finally {
            deleteQuietly(authfile);
        }
    }

    /**
     * Runs {@code argv} with {@code credentials} in an auth file of its own (0600, deleted after),
     * never on a command line; without them anonymously, so the machine's own logins are never used.
     */
    private Commands.Result withCredentials(String registry, Credentials credentials, String prefix, List<String> argv) {
        List<String> command = new ArrayList<>(argv.subList(0, 2));
        if (credentials == null) {
            command.add("--" + prefix + "no-creds");
            command.addAll(argv.subList(2, argv.size()));
            return Commands.run(argv.get(1).equals("copy") ? PULL_TIMEOUT : INSPECT_TIMEOUT, command);
        }
        Path authfile = authfile(registry, credentials);
        try {
            command.add("--" + prefix + "authfile");
            command.add(authfile.toString());
            command.addAll(argv.subList(2, argv.size()));
            return Commands.run(argv.get(1).equals("copy") ? PULL_TIMEOUT : INSPECT_TIMEOUT, command);
        } finally {
            deleteQuietly(authfile);
        }
    }

    /** A containers-auth.json file readable by root only, with {@code credentials} for {@code registry} (or none). */
    private Path authfile(String registry, Credentials credentials) {
        try {
            Files.createDirectories(scratch);
            Path file = Files.createTempFile(scratch, ".auth-", ".json", java.nio.file.attribute.PosixFilePermissions
                    .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            String auths = "{}";
            if (credentials != null) {
                String token = java.util.Base64.getEncoder().encodeToString(
                        (credentials.username() + ":" + credentials.password()).getBytes(StandardCharsets.UTF_8));
                auths = Json.MAPPER.writeValueAsString(java.util.Map.of(registry, java.util.Map.of("auth", token)));
            }
            Files.writeString(file, "{\"auths\":" + auths + "}");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write registry credentials under " + scratch + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(Registry.class).warn("cannot delete {}: {}", file, e.toString());
        }
    }

    /** Drops {@code layoutTag} from the layout and every blob no other tag uses. */
    void forget(String layoutTag) {
        Commands.run(INSPECT_TIMEOUT, List.of("umoci", "rm", "--image", layout + ":" + layoutTag)).orThrow();
        Commands.run(INSPECT_TIMEOUT, List.of("umoci", "gc", "--layout", layout.toString())).orThrow();
    }

    private JsonNode manifestOf(String tag) throws IOException {
        JsonNode index = Json.MAPPER.readTree(layout.resolve("index.json").toFile());
        for (JsonNode m : index.path("manifests")) {
            if (tag.equals(m.at("/annotations/org.opencontainers.image.ref.name").asText())) {
                return Json.MAPPER.readTree(blob(m.path("digest").asText()).toFile());
            }
        }
        throw new IOException("no image tagged " + tag + " in the layout's index");
    }

    private Path blob(String digest) {
        int colon = digest.indexOf(':');
        return layout.resolve("blobs").resolve(digest.substring(0, colon)).resolve(digest.substring(colon + 1));
    }

    /** skopeo's TLS flags for {@code registry}; {@code prefix} is "" for inspect and login, "src-" for copy. */
    private List<String> tlsFlags(String registry, String prefix) {
        if (options.insecure().contains(registry)) {
            return List.of("--" + prefix + "tls-verify=false");
        }
        Path certs = options.certsDir().resolve(registry);
        if (Files.isDirectory(certs)) {
            return List.of("--" + prefix + "cert-dir", certs.toString());
        }
        return List.of();
    }

    /**
     * The registry's reason out of skopeo's {@code level=fatal msg="..."}: the text after the image
     * name skopeo repeats ({@code reading manifest nope in host/web: manifest unknown}).
     */
    static String reason(String stderr) {
        String message = stderr.strip();
        Matcher m = FATAL.matcher(stderr);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        if (last != null) {
            message = last.replace("\\\"", "\"");
            // "Error parsing image name \"docker://x\": why" and "initializing source docker://x: why"
            int start = message.indexOf("docker://");
            if (start >= 0) {
                int sep = message.indexOf(": ", start);
                if (sep >= 0) {
                    message = message.substring(sep + 2);
                }
            }
        }
        return message.isEmpty() ? "skopeo failed without a message" : message;
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
