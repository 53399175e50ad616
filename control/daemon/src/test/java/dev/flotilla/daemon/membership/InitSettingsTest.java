package dev.flotilla.daemon.membership;

import static dev.flotilla.daemon.membership.Statuses.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.manager.Dispatcher;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** `swarm init`'s flags: Docker's defaults when absent, a message a user can act on when wrong. */
class InitSettingsTest {

    @Test
    void noFlagsGiveDockersDefaults() {
        InitSettings s = InitSettings.of(InitSwarmRequest.getDefaultInstance());
        assertThat(s.pool()).hasToString("10.0.0.0/8");
        assertThat(s.subnetSize()).isEqualTo(20);
        assertThat(s.dataPathPort()).isEqualTo(4789);
        assertThat(s.heartbeatMs()).isEqualTo(Dispatcher.DEFAULT_HEARTBEAT_MS);
    }

    @Test
    void flagsGivenAreKept() {
        InitSettings s = InitSettings.of(InitSwarmRequest.newBuilder().setDefaultAddrPool("192.168.0.0/16")
                .setDefaultAddrPoolMaskLength(24).setDataPathPort(7789).setDispatcherHeartbeatMs(100).build());
        assertThat(s.pool()).hasToString("192.168.0.0/16");
        assertThat(s.subnetSize()).isEqualTo(24);
        assertThat(s.dataPathPort()).isEqualTo(7789);
        assertThat(s.heartbeatMs()).isEqualTo(100);
    }

    @Test
    void aPoolThatIsNoPrefixIsRefused() {
        Statuses.assertRefusedContaining(() -> InitSettings.of(InitSwarmRequest.newBuilder().setDefaultAddrPool("10.0.0/8").build()),
                Status.Code.INVALID_ARGUMENT, "invalid default address pool \"10.0.0/8\": ");
    }

    @Test
    void subnetsMustFitThePoolAndHoldAddresses() {
        assertRefused(() -> InitSettings.of(InitSwarmRequest.newBuilder().setDefaultAddrPool("10.20.0.0/16")
                        .setDefaultAddrPoolMaskLength(12).build()),
                Status.Code.INVALID_ARGUMENT, "invalid default address pool mask length 12: it must be between 16 and 29");
        assertRefused(() -> InitSettings.of(InitSwarmRequest.newBuilder().setDefaultAddrPoolMaskLength(30).build()),
                Status.Code.INVALID_ARGUMENT, "invalid default address pool mask length 30: it must be between 8 and 29");
        assertThat(InitSettings.of(InitSwarmRequest.newBuilder().setDefaultAddrPoolMaskLength(29).build()).subnetSize())
                .isEqualTo(29);
    }

    @Test
    void aHeartbeatUnder100msIsRefused() {
        for (long ms : new long[] {-1, 1, 99}) {
            assertRefused(() -> InitSettings.of(InitSwarmRequest.newBuilder().setDispatcherHeartbeatMs(ms).build()),
                    Status.Code.INVALID_ARGUMENT, "invalid dispatcher heartbeat period: it must be at least 100ms");
        }
    }
}
