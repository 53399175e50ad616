package dev.flotilla.tests;

import dev.flotilla.testkit.Poll;
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
import java.util.concurrent.TimeUnit;

/**
 * A real OCI registry for the tests: Debian's {@code docker-registry} (the CNCF distribution
 * registry) run in a test namespace on the cluster's underlay, over plain HTTP or over TLS with a
 * certificate from a throw-away CA. Images are built as OCI layouts with {@code umoci} and pushed
 * with {@code skopeo}, both run in that namespace too, so no test address is used from the
 * machine's own.
 */
final class TestRegistry implements AutoCloseable {

    private static final Duration TOOL = Duration.ofSeconds(60);

    private final String netns;
    private final String address;
    private final Path dir;
    private final boolean tls;
    /** {@code user:password} the registry wants (htpasswd, bcrypt), or null for none. */
    private final String credentials;
    private Process process;

    private TestRegistry(String netns, String address, Path dir, boolean tls, String credentials) {
        this.netns = netns;
        this.address = address;
        this.dir = dir;
        this.tls = tls;
        this.credentials = credentials;
    }

    /** A registry at {@code address} ({@code IP:PORT}) in namespace {@code netns}, plain HTTP. */
    static TestRegistry plain(String netns, String address, Path dir) {
        return new TestRegistry(netns, address, dir, false, null).start();
    }

    /**
     * A registry at {@code address} over TLS, its certificate (for the address's IP) signed by a
     * fresh CA whose certificate is {@link #caCertificate()}.
     */
    static TestRegistry withTls(String netns, String address, Path dir) {
        return new TestRegistry(netns, address, dir, true, null).start();
    }

    /** As {@link #withTls}, answering only {@code user} with {@code password} (basic auth over TLS). */
    static TestRegistry withTlsAndPassword(String netns, String address, Path dir, String user, String password) {
        return new TestRegistry(netns, address, dir, true, user + ":" + password).start();
    }

    String address() {
        return address;
    }

    Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    /** A certs.d directory for this registry's clients: its CA only (a *.key there would need a client certificate). */
    private Path clientCerts() {
        Path certs = dir.resolve("client-certs");
        try {
            if (!Files.exists(certs)) {
                Files.createDirectories(certs);
                Files.copy(caCertificate(), certs.resolve("ca.crt"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return certs;
    }

    private TestRegistry start() {
        try {
            Files.createDirectories(dir.resolve("data"));
            StringBuilder config = new StringBuilder("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    + "    rootdirectory: " + dir.resolve("data") + "\n  delete:\n    enabled: true\nhttp:\n  addr: " + address + "\n");
            if (tls) {
                makeCertificates();
                config.append("  tls:\n    certificate: ").append(dir.resolve("registry.crt"))
                        .append("\n    key: ").append(dir.resolve("registry.key")).append('\n');
            }
            if (credentials != null) {
                int colon = credentials.indexOf(':');
                Cli hash = Processes.ok(TOOL, "htpasswd", "-Bbn", credentials.substring(0, colon), credentials.substring(colon + 1));
                Files.writeString(dir.resolve("htpasswd"), hash.stdout().strip() + "\n");
                config.append("auth:\n  htpasswd:\n    realm: flotilla-test\n    path: ").append(dir.resolve("htpasswd")).append('\n');
            }
            Files.writeString(dir.resolve("config.yml"), config);
            process = new ProcessBuilder("nsenter", "--net=/run/netns/" + netns, "docker-registry", "serve",
                    dir.resolve("config.yml").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the registry", e);
        }
        Poll.until(Duration.ofSeconds(30), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the registry exited: " + log());
            }
            return Processes.run(TOOL, "nsenter", "--net=/run/netns/" + netns, "curl", "-s", "-o", "/dev/null",
                    "-k", (tls ? "https://" : "http://") + address + "/v2/").ok();
        }, () -> "the registry at " + address + " to answer: " + log());
        return this;
    }

    private void makeCertificates() {
        String ip = address.substring(0, address.lastIndexOf(':'));
        try {
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:" + ip + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.resolve("ca.key").toString(), "-out", caCertificate().toString(), "-days", "2",
                "-subj", "/CN=flotilla test registry CA");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.resolve("registry.key").toString(), "-out", dir.resolve("registry.csr").toString(),
                "-subj", "/CN=" + ip);
        openssl("x509", "-req", "-in", dir.resolve("registry.csr").toString(), "-CA", caCertificate().toString(),
                "-CAkey", dir.resolve("ca.key").toString(), "-CAcreateserial", "-days", "2",
                "-out", dir.resolve("registry.crt").toString(), "-extfile", dir.resolve("san.ext").toString());
    }

    private static void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Processes.ok(TOOL, command.toArray(String[]::new));
    }

    /**
     * An OCI layout at {@code layout} tagged {@code tag}: one layer per directory of {@code layers}
     * (each the whole rootfs as it should be after that layer; umoci records the difference,
     * removed files as whiteouts), running {@code cmd}.
     */
    static void buildImage(Path layout, String tag, List<Path> layers, List<String> cmd) {
        if (!Files.exists(layout)) {
            Processes.ok(TOOL, "umoci", "init", "--layout", layout.toString());
        }
        Processes.ok(TOOL, "umoci", "new", "--image", layout + ":" + tag);
        int i = 0;
        for (Path rootfs : layers) {
            Path bundle = layout.resolveSibling(layout.getFileName() + "-bundle-" + tag + "-" + i++);
            Processes.ok(TOOL, "umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
            Processes.ok(TOOL, "sh", "-c", "rm -rf \"$1/rootfs\" && cp -a \"$2\" \"$1/rootfs\"", "sh",
                    bundle.toString(), rootfs.toString());
            Processes.ok(TOOL, "umoci", "repack", "--image", layout + ":" + tag, bundle.toString());
            Processes.ok(TOOL, "rm", "-rf", bundle.toString());
        }
        List<String> config = new ArrayList<>(List.of("umoci", "config", "--image", layout + ":" + tag));
        for (String arg : cmd) {
            config.add("--config.cmd");
            config.add(arg);
        }
        Processes.ok(TOOL, config.toArray(String[]::new));
    }

    /** Pushes {@code layout:tag} as {@code repository} ({@code REPO:TAG}), its layers gzip or zstd. */
    void push(Path layout, String tag, String repository, String compression) {
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns, "skopeo", "copy", "-q"));
        command.addAll(tls ? List.of("--dest-cert-dir", clientCerts().toString()) : List.of("--dest-tls-verify=false"));
        if (credentials != null) {
            command.addAll(List.of("--dest-creds", credentials));
        }
        command.addAll(List.of("--dest-compress", "--dest-compress-format", compression,
                "oci:" + layout + ":" + tag, "docker://" + address + "/" + repository));
        Processes.ok(TOOL, command.toArray(String[]::new));
    }

    /** The digest of {@code repository}'s manifest at this registry, as a client computes it. */
    String digest(String repository) {
        List<String> command = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns, "curl", "-sf",
                "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json"));
        if (tls) {
            command.addAll(List.of("--cacert", caCertificate().toString()));
        }
        if (credentials != null) {
            command.addAll(List.of("-u", credentials));
        }
        int colon = repository.lastIndexOf(':');
        command.add((tls ? "https://" : "http://") + address + "/v2/" + repository.substring(0, colon)
                + "/manifests/" + repository.substring(colon + 1));
        Cli manifest = Processes.ok(TOOL, command.toArray(String[]::new));
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(manifest.stdout().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("registry.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
