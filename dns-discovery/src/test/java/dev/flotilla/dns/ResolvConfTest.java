package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvConfTest {

    @Test
    void keepsTheFirstThreeUsableNameserversSkippingOurOwnAddress(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("resolv.conf");
        Files.writeString(conf, String.join("\n",
                "# generated",
                "search example.com",
                "nameserver 127.0.0.11",
                "nameserver 127.0.0.53",
                "nameserver   192.0.2.1  ",
                "nameserver not-an-address",
                "nameserver 010.0.0.1",
                "nameserver 2001:db8::1",
                "nameserver 192.0.2.2",
                "options ndots:0"));
        assertThat(ResolvConf.upstreams(conf)).containsExactly(
                new InetSocketAddress("127.0.0.53", 53),
                new InetSocketAddress("192.0.2.1", 53),
                new InetSocketAddress("2001:db8::1", 53));
    }

    @Test
    void missingFileMeansNoUpstreams(@TempDir Path dir) {
        assertThat(ResolvConf.upstreams(dir.resolve("absent"))).isEqualTo(List.of());
    }
}
