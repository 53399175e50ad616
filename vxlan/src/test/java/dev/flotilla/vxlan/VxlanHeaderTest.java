package dev.flotilla.vxlan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class VxlanHeaderTest {

    @Test
    void encodesInPlaceAndDecodesBack() {
        ByteBuf frame = Frames.ipv4Frame(VxlanHeader.LENGTH, 0x0242_0a00_0003L, 0x0242_0a00_0002L, 20);
        try {
            int frameLength = frame.readableBytes();
            VxlanHeader.encode(frame, 4096);

            assertThat(frame.readerIndex()).isZero();
            assertThat(frame.readableBytes()).isEqualTo(VxlanHeader.LENGTH + frameLength);
            // RFC 7348 bytes: 08 00 00 00 | VNI(3) 00
            assertThat(new byte[] {frame.getByte(0), frame.getByte(1), frame.getByte(2), frame.getByte(3)})
                    .containsExactly(0x08, 0, 0, 0);
            assertThat(new byte[] {frame.getByte(4), frame.getByte(5), frame.getByte(6), frame.getByte(7)})
                    .containsExactly(0x00, 0x10, 0x00, 0x00);

            assertThat(VxlanHeader.validate(frame)).isNull();
            assertThat(VxlanHeader.vni(frame)).isEqualTo(4096);
            VxlanHeader.strip(frame);
            assertThat(EthernetFrame.destination(frame)).isEqualTo(0x0242_0a00_0003L);
            assertThat(EthernetFrame.source(frame)).isEqualTo(0x0242_0a00_0002L);
            assertThat(frame.readableBytes()).isEqualTo(frameLength);
        } finally {
            frame.release();
        }
        assertThat(frame.refCnt()).isZero();
    }

    @Test
    void roundTripsEveryVniBoundaryInPooledBuffers() {
        for (int vni : new int[] {0, 1, 4096, 0x7f_ffff, VxlanHeader.MAX_VNI}) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            try {
                buf.setIndex(VxlanHeader.LENGTH, VxlanHeader.LENGTH + 14);
                VxlanHeader.encode(buf, vni);
                assertThat(VxlanHeader.validate(buf)).isNull();
                assertThat(VxlanHeader.vni(buf)).isEqualTo(vni);
            } finally {
                buf.release();
            }
            assertThat(buf.refCnt()).isZero();
        }
    }

    @Test
    void refusesToEncodeWithoutHeadroomOrWithAWideVni() {
        ByteBuf frame = Frames.ipv4Frame(4, 1, 2, 0);
        try {
            assertThatThrownBy(() -> VxlanHeader.encode(frame, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(frame.readerIndex()).isEqualTo(4);
            ByteBuf roomy = Frames.ipv4Frame(8, 1, 2, 0);
            try {
                assertThatThrownBy(() -> VxlanHeader.encode(roomy, 1 << 24)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> VxlanHeader.encode(roomy, -1)).isInstanceOf(IllegalArgumentException.class);
            } finally {
                roomy.release();
            }
        } finally {
            frame.release();
        }
    }

    @Test
    void shortPacketsAreTypedDrops() {
        for (int length : new int[] {0, 1, 7, 8, 21}) {
            ByteBuf packet = Unpooled.buffer(length).writeZero(length);
            if (length >= 1) {
                packet.setByte(0, 0x08);
            }
            try {
                assertThat(VxlanHeader.validate(packet)).as("length %d", length).isEqualTo(DropReason.SHORT);
            } finally {
                packet.release();
            }
        }
    }

    @Test
    void badFlagsAndReservedBitsAreTypedDrops() {
        int[][] headers = {
            {0x00, 0, 0, 0, 0, 0x10, 0, 0},    // I bit missing
            {0x0c, 0, 0, 0, 0, 0x10, 0, 0},    // I + a reserved flag (GPE's P bit)
            {0x88, 0, 0, 0, 0, 0x10, 0, 0},    // I + G (GBP)
            {0x08, 0, 0x01, 0, 0, 0x10, 0, 0}, // reserved bits after the flags
            {0x08, 0, 0, 0x80, 0, 0x10, 0, 0},
            {0x08, 0, 0, 0, 0, 0x10, 0, 0x01}, // reserved byte after the VNI
        };
        for (int[] header : headers) {
            ByteBuf packet = Unpooled.buffer(22);
            for (int b : header) {
                packet.writeByte(b);
            }
            packet.writeZero(14);
            try {
                assertThat(VxlanHeader.validate(packet)).isEqualTo(DropReason.BAD_FLAGS);
            } finally {
                packet.release();
            }
        }
    }
}
