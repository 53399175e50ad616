package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlowHashTest {

    private static final long MAC2 = 0x0242_0a00_0002L;
    private static final long MAC3 = 0x0242_0a00_0003L;
    private static final int T2 = 0x0a00_0002;
    private static final int T3 = 0x0a00_0003;

    @Test
    void aFlowAlwaysHashesTheSameWhateverItCarries() {
        ByteBuf a = Frames.tcpFrame(0, MAC3, MAC2, T2, T3, 40000, 5201, 1, 2, Frames.TCP_ACK, 7, new byte[100], false);
        ByteBuf b = Frames.tcpFrame(0, MAC3, MAC2, T2, T3, 40000, 5201, 999, 5, Frames.TCP_PSH, 8, new byte[1300], true);
        assertThat(FlowHash.of(a, 0, a.readableBytes())).isEqualTo(FlowHash.of(b, 0, b.readableBytes()));
        a.release();
        b.release();
    }

    @Test
    void portsAndAddressesSpreadFlows() {
        Set<Integer> sockets = new HashSet<>();
        Set<Integer> hashes = new HashSet<>();
        for (int port = 40000; port < 40064; port++) {
            ByteBuf f = Frames.tcpFrame(0, MAC3, MAC2, T2, T3, port, 5201, 1, 2, Frames.TCP_ACK, 7, new byte[10], false);
            int h = FlowHash.of(f, 0, f.readableBytes());
            hashes.add(h);
            sockets.add((h & 0x7fff_ffff) % 4);
            f.release();
        }
        assertThat(hashes).hasSize(64);
        assertThat(sockets).hasSize(4);
    }

    @Test
    void laterFragmentsAndNonIpUseWhatTheyHave() {
        ByteBuf first = Frames.tcpFrame(0, MAC3, MAC2, T2, T3, 1, 2, 1, 2, Frames.TCP_ACK, 7, new byte[10], false);
        ByteBuf later = first.copy();
        later.setShort(14 + 6, 0x00b9); // fragment offset: no ports here
        ByteBuf otherPorts = Frames.tcpFrame(0, MAC3, MAC2, T2, T3, 3, 4, 1, 2, Frames.TCP_ACK, 7, new byte[10], false);
        ByteBuf laterOther = otherPorts.copy();
        laterOther.setShort(14 + 6, 0x00b9);
        assertThat(FlowHash.of(later, 0, later.readableBytes())).isEqualTo(FlowHash.of(laterOther, 0, laterOther.readableBytes()));
        ByteBuf arp = Frames.arpRequest(0, MAC2, T2, T3);
        assertThat(FlowHash.of(arp, 0, 14)).isEqualTo(FlowHash.of(arp, 0, arp.readableBytes()));
        for (ByteBuf b : new ByteBuf[] {first, later, otherPorts, laterOther, arp}) {
            b.release();
        }
    }

    @Test
    void randomFramesNeverReadOutsideThemselves() {
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int length = 14 + random.nextInt(80);
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            if (random.nextBoolean()) {
                bytes[12] = 0x08;
                bytes[13] = 0;
            }
            ByteBuf frame = Unpooled.wrappedBuffer(bytes);
            FlowHash.of(frame, 0, length);
        }
    }
}
