package dev.flotilla.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetSocketAddress;

/**
 * Takes a forwarded query's outcome back to the client that asked: restores its id, truncates a
 * UDP answer that exceeds the client's size, frames a TCP answer, or answers SERVFAIL. Runs on the
 * forwarder's loop; {@code Channel.writeAndFlush} hands the message to the client channel's own
 * loop, and a channel closed meanwhile releases it. Immutable.
 */
final class ClientReply implements DnsForwarder.Callback {

    private final Channel channel;
    private final boolean udp;
    /** UDP only: where the query came from and the address it was sent to. */
    private final InetSocketAddress client;
    private final InetSocketAddress local;
    private final int id;
    private final DnsOpCode opCode;
    private final boolean recursionDesired;
    private final DnsQuestion question;
    private final boolean edns;
    private final int limit;
    private final int advertisedUdpPayload;
    private final DnsCounters counters;

    ClientReply(Channel channel, boolean udp, InetSocketAddress client, InetSocketAddress local, int id, DnsOpCode opCode,
                boolean recursionDesired, DnsQuestion question, boolean edns, int limit, int advertisedUdpPayload,
                DnsCounters counters) {
        this.channel = channel;
        this.udp = udp;
        this.client = client;
        this.local = local;
        this.id = id;
        this.opCode = opCode;
        this.recursionDesired = recursionDesired;
        this.question = question;
        this.edns = edns;
        this.limit = limit;
        this.advertisedUdpPayload = advertisedUdpPayload;
        this.counters = counters;
    }

    @Override
    public void onResponse(ByteBuf response) {
        response.setShort(response.readerIndex(), id);
        if (response.readableBytes() > limit) {
            if (!DnsWire.truncateToQuestion(response, edns, advertisedUdpPayload)) {
                response.release();
                onFailure();
                return;
            }
            counters.truncated.increment();
        }
        if (udp) {
            channel.writeAndFlush(new DatagramPacket(response, client, local), channel.voidPromise());
        } else {
            ByteBuf length = channel.alloc().buffer(2).writeShort(response.readableBytes());
            CompositeByteBuf framed = channel.alloc().compositeBuffer(2).addComponents(true, length, response);
            channel.writeAndFlush(framed, channel.voidPromise());
        }
    }

    @Override
    public void onFailure() {
        counters.servfail.increment();
        DnsResponse response = udp
                ? new DatagramDnsResponse(local, client, id, opCode, DnsResponseCode.SERVFAIL)
                : new DefaultDnsResponse(id, opCode, DnsResponseCode.SERVFAIL);
        response.setRecursionDesired(recursionDesired);
        response.setRecursionAvailable(true);
        response.addRecord(DnsSection.QUESTION, question);
        if (edns) {
            response.addRecord(DnsSection.ADDITIONAL, DnsWire.emptyOpt(advertisedUdpPayload));
        }
        channel.writeAndFlush(response, channel.voidPromise());
    }
}
