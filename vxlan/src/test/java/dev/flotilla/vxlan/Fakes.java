package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** In-memory device and socket, so the protocol runs without root (WireGuard-go's habit). */
final class Fakes {

    private Fakes() {
    }

    /** Records copies of written frames (the caller keeps and releases the originals). */
    static final class Tap implements TapDevice {
        final List<byte[]> written = new ArrayList<>();
        boolean failWrites;

        @Override
        public String name() {
            return "fake-tap";
        }

        @Override
        public void write(ByteBuf frame) throws IOException {
            if (failWrites) {
                throw new IOException("fake write failure");
            }
            byte[] copy = new byte[frame.readableBytes()];
            frame.getBytes(frame.readerIndex(), copy);
            written.add(copy);
        }
    }

    /** A TAP opened with IFF_VNET_HDR: records each write's virtio_net_hdr and frame separately. */
    static final class VnetTap implements TapDevice {
        final List<byte[]> headers = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        boolean failWrites;

        @Override
        public String name() {
            return "fake-vnet-tap";
        }

        @Override
        public boolean vnetHeader() {
            return true;
        }

        /** A plain frame: as TapPort does, it goes out behind an all-zero header. */
        @Override
        public void write(ByteBuf frame) throws IOException {
            if (failWrites) {
                throw new IOException("fake write failure");
            }
            byte[] copy = new byte[frame.readableBytes()];
            frame.getBytes(frame.readerIndex(), copy);
            headers.add(new byte[VirtioNetHeader.LENGTH]);
            frames.add(copy);
        }

        @Override
        public void writeVnet(ByteBuf headerAndFrame) throws IOException {
            if (failWrites) {
                throw new IOException("fake write failure");
            }
            byte[] all = new byte[headerAndFrame.readableBytes()];
            headerAndFrame.getBytes(headerAndFrame.readerIndex(), all);
            headers.add(Arrays.copyOf(all, VirtioNetHeader.LENGTH));
            frames.add(Arrays.copyOfRange(all, VirtioNetHeader.LENGTH, all.length));
        }

        void clear() {
            headers.clear();
            frames.clear();
        }
    }

    record Sent(ByteBuf payload, InetSocketAddress recipient) {
    }

    /** Holds sent payloads (it owns them) until the test drains and releases them. */
    static final class Udp implements UdpBind {
        final List<Sent> queued = new ArrayList<>();
        int flushes;
        /** sendSegmented calls and their segment sizes. */
        final List<Integer> segmentedSends = new ArrayList<>();
        boolean writable = true;

        @Override
        public void sendSegmented(ByteBuf payload, int segmentSize, InetSocketAddress recipient) {
            segmentedSends.add(segmentSize);
            UdpBind.super.sendSegmented(payload, segmentSize, recipient);
        }

        @Override
        public void send(ByteBuf payload, InetSocketAddress recipient) {
            queued.add(new Sent(payload, recipient));
        }

        @Override
        public void flush() {
            flushes++;
        }

        @Override
        public boolean isWritable() {
            return writable;
        }

        /** Copies of the queued payloads' readable bytes; releases the payloads. */
        List<byte[]> drain() {
            List<byte[]> copies = new ArrayList<>();
            for (Sent sent : queued) {
                copies.add(Unpooled.copiedBuffer(sent.payload()).array());
                sent.payload().release();
            }
            queued.clear();
            return copies;
        }
    }
}
