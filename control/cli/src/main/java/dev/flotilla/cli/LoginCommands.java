package dev.flotilla.cli;

import dev.flotilla.api.v1.LoginRequest;
import dev.flotilla.api.v1.RegistryAuth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla login} and {@code logout}: a registry's credentials in the docker CLI's config.json. */
final class LoginCommands {

    private LoginCommands() {
    }

    @Command(name = "login", description = "Authenticate to a registry")
    static final class Login extends ClientCommand {
        @Option(names = {"-u", "--username"}, description = "Username")
        String username;

        @Option(names = {"-p", "--password"}, description = "Password or Personal Access Token (PAT)")
        String password;

        @Option(names = "--password-stdin", description = "Take the Password or Personal Access Token (PAT) from stdin")
        boolean passwordStdin;

        @Parameters(index = "0", arity = "0..1", paramLabel = "SERVER")
        String server;

        @Override
        int run(DaemonClient client) throws IOException {
            if (password != null && passwordStdin) {
                throw new Main.CliException("--password and --password-stdin are mutually exclusive");
            }
            if (passwordStdin) {
                if (username == null || username.isEmpty()) {
                    throw new Main.CliException("Must provide --username with --password-stdin");
                }
                password = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } else if (password != null) {
                System.err.println("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            }
            if (username == null || username.isEmpty() || password == null || password.isEmpty()) {
                throw new Main.CliException("Error: cannot perform an interactive login from a non TTY device;"
                        + " give --username and --password-stdin");
            }
            String key = DockerConfig.key(server);
            RegistryAuth auth = RegistryAuth.newBuilder().setUsername(username).setPassword(password).build();
            // The daemon asks the registry (its TLS settings, its certs.d); only then is anything kept.
            client.engine().login(LoginRequest.newBuilder()
                    .setServer(key.equals(DockerConfig.DOCKER_HUB) ? "docker.io" : key).setAuth(auth).build());
            DockerConfig config = DockerConfig.forUser();
            config.store(key, auth);
            System.err.println("WARNING! Your credentials are stored unencrypted in '" + config.file() + "'.");
            System.out.println("Login Succeeded");
            return 0;
        }
    }

    @Command(name = "logout", description = "Log out from a registry")
    static final class Logout extends ClientCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "SERVER")
        String server;

        @Override
        int run(DaemonClient client) {
            String key = DockerConfig.key(server);
            if (DockerConfig.forUser().remove(key)) {
                System.out.println("Removing login credentials for " + key);
            } else {
                System.out.println("Not logged in to " + key);
            }
            return 0;
        }
    }
}
