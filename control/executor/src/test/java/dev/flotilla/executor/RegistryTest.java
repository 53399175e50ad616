package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RegistryTest {

    @Test
    void theReasonIsTheRegistrysWordsOutOfSkopeosFatalLine() {
        assertThat(Registry.reason("time=\"2026-12-03T18:25:39Z\" level=fatal msg=\"Error parsing image name "
                + "\\\"docker://198.18.0.10:5000/web:nope\\\": reading manifest nope in 198.18.0.10:5000/web: "
                + "manifest unknown: manifest unknown\"\n"))
                .isEqualTo("reading manifest nope in 198.18.0.10:5000/web: manifest unknown: manifest unknown");
        assertThat(Registry.reason("time=\"x\" level=fatal msg=\"initializing source docker://h:5000/web:1: pinging "
                + "container registry h:5000: Get \\\"https://h:5000/v2/\\\": http: server gave HTTP response to HTTPS client\"\n"))
                .isEqualTo("pinging container registry h:5000: Get \"https://h:5000/v2/\": "
                        + "http: server gave HTTP response to HTTPS client");
    }

    @Test
    void outputThatIsNotSkopeosIsQuotedAsItIs() {
        assertThat(Registry.reason("something else broke\n")).isEqualTo("something else broke");
        assertThat(Registry.reason("")).isEqualTo("skopeo failed without a message");
    }

    @Test
    void digestsAreTheSha256OfTheManifestsBytes() {
        assertThat(Registry.sha256("abc".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
