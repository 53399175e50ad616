package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A network's TAP as both the real {@link TapDevice} and an epoll handle registered on one of the
 * VTEP's event loops (its {@link Lane}): when the descriptor is readable, up to
 * {@link #READ_BUDGET} frames are read into pooled direct buffers, each with
 * {@link VxlanHeader#LENGTH} bytes of headroom so encapsulation never copies, handed to the
 * protocol, and flushed to the lane's socket as one batch.
 *
 * <p>Backpressure: while the lane's socket is not writable the TAP's read interest is withdrawn,
 * so the kernel's TAP queue absorbs (and eventually drops) the excess, as a NIC would; the lane
 * restores it when the socket drains.
 */
final class TapPort implements EpollIoHandle, TapDevice {

    private static final Logger logger = LoggerFactory.getLogger(TapPort.class);

    /** Frames read per readiness event before other handles on the loop get their turn. */
    static final int READ_BUDGET = 64;

    private final int vni;
    private final String name;
    private final String netns;
    private final FileDescriptor fd;
    private final Lane lane;
    private final VtepProtocol protocol;
    private final ByteBufAllocator alloc;
    private final VtepCounters counters;
    /** Headroom + the largest frame + 1: a read that fills the buffer may have been truncated. */
    private final int bufferCapacity;
    /** Opened with {@code IFF_VNET_HDR} and TCP offloads: every read and write starts with a virtio_net_hdr. */
    private final boolean vnetHeader;
    /**
     * With {@link #vnetHeader}: the one buffer reads land in (header + up to a 64 KiB super-frame),
     * the protocol copies out of it. Lane's loop only; released by {@link #closeOnLoop()}.
     */
    private ByteBuf readBuffer;

    /** Set once by {@link #startReading(IoRegistration)}; only touched on the lane's event loop. */
    private IoRegistration registration;
    /** Read interest withdrawn for backpressure. Only touched on the lane's event loop. */
    private boolean paused;

    TapPort(int vni, String name, String netns, int fd, Lane lane, VtepProtocol protocol,
            ByteBufAllocator alloc, int maxFrameLength, boolean vnetHeader) {
        this.vni = vni;
        this.name = name;
        this.netns = netns;
        this.fd = new FileDescriptor(fd);
        this.lane = lane;
        this.protocol = protocol;
        this.alloc = alloc;
        this.counters = protocol.counters();
        this.vnetHeader = vnetHeader;
        this.bufferCapacity = vnetHeader ? VNET_READ_CAPACITY : VxlanHeader.LENGTH + maxFrameLength + 1;
    }

    /** virtio_net_hdr + Ethernet + the largest IPv4 packet (a TSO super-frame) + 1 to detect truncation. */
    static final int VNET_READ_CAPACITY = VirtioNetHeader.LENGTH + EthernetFrame.HEADER_LENGTH + 65_535 + 1;

    @Override
    public boolean vnetHeader() {
        return vnetHeader;
    }

    int vni() {
        return vni;
    }

    Lane lane() {
        return lane;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    /** Called on the lane's loop once epoll knows the descriptor: start reading. */
    void startReading(IoRegistration newRegistration) {
        registration = newRegistration;
        registration.submit(EpollIoOps.EPOLLIN);
    }

    @Override
    public void handle(IoRegistration ignored, IoEvent event) {
        if (((EpollIoEvent) event).ops().contains(EpollIoOps.EPOLLERR)) {
            // tun reports EPOLLERR once its device is unregistered (namespace deleted under us).
            stopReading("the device is gone (EPOLLERR)");
            return;
        }
        readFrames();
    }

    private void readFrames() {
        if (vnetHeader) {
            readVnetFrames();
            return;
        }
        UdpBind udp = lane.udp();
        boolean queued = false;
        try {
            for (int i = 0; i < READ_BUDGET; i++) {
                if (!udp.isWritable()) {
                    pause();
                    break;
                }
                ByteBuf frame = alloc.directBuffer(bufferCapacity, bufferCapacity);
                boolean handedOver = false;
                try {
                    frame.setIndex(VxlanHeader.LENGTH, VxlanHeader.LENGTH);
                    int read = read(frame);
                    if (read <= 0) {
                        break; // 0: EAGAIN, drained. A TAP never reports EOF (-1) while open.
                    }
                    frame.writerIndex(frame.writerIndex() + read);
                    if (!frame.isWritable()) {
                        counters.drop(DropReason.OVERSIZE);
                        continue;
                    }
                    handedOver = true;
                    protocol.fromTap(vni, this, frame, udp);
                    queued = true;
                } finally {
                    if (!handedOver) {
                        frame.release();
                    }
                }
            }
        } catch (IOException e) {
            counters.tapReadError();
            stopReading(e.toString());
        } finally {
            if (queued) {
                udp.flush();
            }
        }
    }

    /** {@link #readFrames()} for a TAP with offloads: one reused buffer, the protocol copies out. */
    private void readVnetFrames() {
        UdpBind udp = lane.udp();
        boolean queued = false;
        if (readBuffer == null) {
            readBuffer = alloc.directBuffer(bufferCapacity, bufferCapacity);
        }
        ByteBuf buf = readBuffer;
        try {
            for (int i = 0; i < READ_BUDGET; i++) {
                if (!udp.isWritable()) {
                    pause();
                    break;
                }
                buf.clear();
                int read = read(buf);
                if (read <= 0) {
                    break; // 0: EAGAIN, drained.
                }
                buf.writerIndex(read);
                if (!buf.isWritable()) {
                    counters.drop(DropReason.OVERSIZE);
                    continue;
                }
                protocol.fromTapVnet(vni, this, buf, udp);
                queued = true;
            }
        } catch (IOException e) {
            counters.tapReadError();
            stopReading(e.toString());
        } finally {
            if (queued) {
                udp.flush();
            }
        }
    }

    /** Reads one frame at {@code frame}'s writer index; returns its length, or 0 when none is pending. */
    private int read(ByteBuf frame) throws IOException {
        int index = frame.writerIndex();
        if (frame.hasMemoryAddress()) {
            return fd.readAddress(frame.memoryAddress(), index, frame.capacity());
        }
        // Our own buffer, confined to this loop: its internal NIO view is not shared.
        ByteBuffer nio = frame.internalNioBuffer(index, frame.capacity() - index);
        return fd.read(nio, nio.position(), nio.limit());
    }

    /**
     * One {@code write(2)} of the frame; safe from any thread. The caller keeps {@code frame}.
     *
     * @throws IOException if the kernel refused it, or the port is closed
     */
    @Override
    public void write(ByteBuf frame) throws IOException {
        if (vnetHeader) {
            writeWithHeader(frame);
            return;
        }
        writeRaw(frame);
    }

    /** One {@code write(2)} of a virtio_net_hdr + frame; only for a TAP opened with offloads. */
    @Override
    public void writeVnet(ByteBuf headerAndFrame) throws IOException {
        if (!vnetHeader) {
            throw new IOException("TAP " + name + " was opened without IFF_VNET_HDR");
        }
        writeRaw(headerAndFrame);
    }

    /** A plain frame to a TAP with offloads (ARP replies): copied behind an all-zero header. */
    private void writeWithHeader(ByteBuf frame) throws IOException {
        int length = frame.readableBytes();
        ByteBuf copy = alloc.directBuffer(VirtioNetHeader.LENGTH + length);
        try {
            VirtioNetHeader.setNone(copy, 0);
            copy.writerIndex(VirtioNetHeader.LENGTH);
            copy.writeBytes(frame, frame.readerIndex(), length);
            writeRaw(copy);
        } finally {
            copy.release();
        }
    }

    private void writeRaw(ByteBuf frame) throws IOException {
        if (!fd.isOpen()) {
            throw new IOException("TAP " + name + " is closed");
        }
        int length = frame.readableBytes();
        int written;
        if (frame.hasMemoryAddress()) {
            written = fd.writeAddress(frame.memoryAddress(), frame.readerIndex(), frame.writerIndex());
        } else if (frame.isDirect() && frame.nioBufferCount() == 1) {
            ByteBuffer nio = frame.nioBuffer(frame.readerIndex(), length);
            written = fd.write(nio, nio.position(), nio.limit());
        } else {
            written = writeCopy(frame, length);
        }
        if (written != length) {
            throw new IOException("TAP " + name + " took " + written + " of " + length + " bytes");
        }
    }

    /** Heap or composite frames (never on the VTEP's own paths): copy into one direct buffer. */
    private int writeCopy(ByteBuf frame, int length) throws IOException {
        ByteBuf copy = alloc.directBuffer(length, length);
        try {
            copy.writeBytes(frame, frame.readerIndex(), length);
            ByteBuffer nio = copy.nioBuffer(0, length);
            return fd.write(nio, nio.position(), nio.limit());
        } finally {
            copy.release();
        }
    }

    /** Lane's loop only. */
    void pause() {
        if (!paused && registration != null && registration.isValid()) {
            registration.submit(EpollIoOps.EPOLLERR);
            paused = true;
        }
    }

    /** Lane's loop only. */
    void resume() {
        if (paused && registration != null && registration.isValid()) {
            registration.submit(EpollIoOps.EPOLLIN);
            paused = false;
        }
    }

    /** Lane's loop only. Receives may still write to the descriptor until {@link #close()}. */
    private void stopReading(String why) {
        if (registration != null && registration.isValid()) {
            registration.cancel();
            logger.warn("VNI {}: stopped reading TAP {} in namespace {}: {}", vni, name, netns, why);
        }
    }

    /** Lane's loop only: unregisters from epoll and closes the descriptor, which deletes the TAP. */
    void closeOnLoop() {
        if (registration != null) {
            registration.cancel();
        }
        close();
    }

    /**
     * Closes the descriptor and releases the read buffer; idempotent. Lane's loop only: from
     * {@link #closeOnLoop()}, or from Netty when the loop shuts down.
     */
    @Override
    public void close() {
        if (readBuffer != null) {
            readBuffer.release();
            readBuffer = null;
        }
        try {
            fd.close();
        } catch (IOException e) {
            logger.warn("VNI {}: closing TAP {} failed: {}", vni, name, e.toString());
        }
    }

    @Override
    public String toString() {
        return "TapPort(vni=" + vni + ", " + netns + "/" + name + ", " + fd + ")";
    }
}
