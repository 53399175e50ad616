package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The Internet checksum (RFC 1071) over bytes of a {@link ByteBuf}, eight at a time. Sums are
 * carried in a {@code long} without folding until the end: each step adds at most 2^33, so a
 * sum over 64 KiB cannot overflow. Stateless; indexes and ownership are never touched.
 */
final class InetChecksum {

    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    private InetChecksum() {
    }

    /**
     * Adds {@code length} bytes at absolute {@code index} to {@code sum} (an even start offset
     * within the checksummed data is assumed).
     *
     * @throws IndexOutOfBoundsException if the range is outside the buffer's capacity
     */
    static long add(long sum, ByteBuf buf, int index, int length) {
        if (index < 0 || length < 0 || index > buf.capacity() - length) {
            throw new IndexOutOfBoundsException("checksum over " + index + "+" + length + " of " + buf.capacity());
        }
        int end = index + length;
        int i = index;
        if (buf.hasMemoryAddress() && length >= 16) {
            // Native-order (little-endian) loads without per-load index and reference checks; a
            // byte-swapped sum folds to the byte-swapped checksum (RFC 1071, section 2(B)).
            int words = length & ~7;
            int swapped = fold(addNative(buf.memoryAddress() + index, words));
            sum += PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? swapped : ((swapped & 0xff) << 8 | swapped >>> 8);
            i += words;
        }
        for (; i + 8 <= end; i += 8) {
            long word = buf.getLong(i);
            sum += (word >>> 32) + (word & 0xffff_ffffL);
        }
        if (i + 4 <= end) {
            sum += buf.getUnsignedInt(i);
            i += 4;
        }
        if (i + 2 <= end) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += (buf.getUnsignedByte(i) << 8);
        }
        return sum;
    }

    /**
     * Copies {@code length} bytes from {@code src} at absolute {@code srcIndex} to {@code dst} at
     * absolute {@code dstIndex} (indexes of neither move) and adds them to {@code sum}, in one pass
     * when both buffers expose their memory address.
     *
     * @throws IndexOutOfBoundsException if either range is outside its buffer's capacity
     */
    static long copyAndAdd(long sum, ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length) {
        if (srcIndex < 0 || dstIndex < 0 || length < 0 || srcIndex > src.capacity() - length
                || dstIndex > dst.capacity() - length) {
            throw new IndexOutOfBoundsException("copy " + srcIndex + "+" + length + " of " + src.capacity()
                    + " to " + dstIndex + " of " + dst.capacity());
        }
        if (!src.hasMemoryAddress() || !dst.hasMemoryAddress() || length < 16) {
            dst.setBytes(dstIndex, src, srcIndex, length);
            return add(sum, dst, dstIndex, length);
        }
        int words = length & ~7;
        long from = src.memoryAddress() + srcIndex;
        long to = dst.memoryAddress() + dstIndex;
        long a = 0;
        for (int i = 0; i < words; i += 8) {
            long w = PlatformDependent.getLong(from + i);
            PlatformDependent.putLong(to + i, w);
            a += (w >>> 32) + (w & 0xffff_ffffL);
        }
        int swapped = fold(a);
        sum += PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? swapped : ((swapped & 0xff) << 8 | swapped >>> 8);
        for (int i = words; i < length; i++) {
            PlatformDependent.putByte(to + i, PlatformDependent.getByte(from + i));
        }
        if (words < length) {
            sum = add(sum, dst, dstIndex + words, length - words);
        }
        return sum;
    }

    /**
     * Copies {@code length} bytes between absolute indexes (no index moves) with one
     * {@code copyMemory} when both buffers expose their address. Netty 4.2's adaptive buffers
     * allocate a NIO view in {@code setBytes(int, ByteBuf, int, int)} from some sources; this
     * does not.
     *
     * @throws IndexOutOfBoundsException if either range is outside its buffer's capacity
     */
    static void copy(ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length) {
        if (srcIndex < 0 || dstIndex < 0 || length < 0 || srcIndex > src.capacity() - length
                || dstIndex > dst.capacity() - length) {
            throw new IndexOutOfBoundsException("copy " + srcIndex + "+" + length + " of " + src.capacity()
                    + " to " + dstIndex + " of " + dst.capacity());
        }
        if (src.hasMemoryAddress() && dst.hasMemoryAddress()) {
            PlatformDependent.copyMemory(src.memoryAddress() + srcIndex, dst.memoryAddress() + dstIndex, length);
        } else {
            dst.setBytes(dstIndex, src, srcIndex, length);
        }
    }

    /** Sums {@code length} (a multiple of 8) bytes at native {@code address} as 32-bit halves of native longs. */
    private static long addNative(long address, int length) {
        long a = 0;
        long b = 0;
        int i = 0;
        for (; i + 16 <= length; i += 16) {
            long w0 = PlatformDependent.getLong(address + i);
            long w1 = PlatformDependent.getLong(address + i + 8);
            a += (w0 >>> 32) + (w0 & 0xffff_ffffL);
            b += (w1 >>> 32) + (w1 & 0xffff_ffffL);
        }
        if (i < length) {
            long w = PlatformDependent.getLong(address + i);
            a += (w >>> 32) + (w & 0xffff_ffffL);
        }
        return a + b;
    }

    /** The IPv4 pseudo header: source, destination, protocol and the transport length. */
    static long pseudoHeader(int source, int destination, int protocol, int transportLength) {
        return (source & 0xffff_ffffL) + (destination & 0xffff_ffffL) + protocol + transportLength;
    }

    /** Folds a running sum to 16 bits (not complemented). */
    static int fold(long sum) {
        sum = (sum >>> 32) + (sum & 0xffff_ffffL);
        sum = (sum >>> 32) + (sum & 0xffff_ffffL);
        sum = (sum >>> 16) + (sum & 0xffff);
        sum = (sum >>> 16) + (sum & 0xffff);
        sum = (sum >>> 16) + (sum & 0xffff);
        return (int) sum;
    }

    /** The checksum field value for data whose running sum (field zeroed) is {@code sum}. */
    static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** Recomputes the IPv4 header checksum of the header at absolute {@code ip} ({@code ihl} bytes). */
    static void setIpv4HeaderChecksum(ByteBuf buf, int ip, int ihl) {
        buf.setShort(ip + 10, 0);
        buf.setShort(ip + 10, finish(add(0, buf, ip, ihl)));
    }

    /** {@code true} when the data summed, checksum field included, verifies (folds to 0xffff). */
    static boolean verifies(long sum) {
        return fold(sum) == 0xffff;
    }
}
