package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

/** Builds queries with dnsjava (an independent implementation) and reads answers back with it. */
final class DnsTestSupport {

    static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.11", 53);
    static final InetSocketAddress CLIENT = new InetSocketAddress("10.0.1.5", 40000);

    private DnsTestSupport() {
    }

    static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Message query(String name, int type) {
        return Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
    }

    static Message ednsQuery(String name, int type, int udpPayload) {
        Message query = query(name, type);
        query.addRecord(new OPTRecord(udpPayload, 0, 0), Section.ADDITIONAL);
        return query;
    }

    static DatagramPacket packet(byte[] wire) {
        // A real (counted) buffer even for zero bytes: wrappedBuffer(new byte[0]) is the shared EMPTY_BUFFER.
        return new DatagramPacket(Unpooled.buffer(wire.length).writeBytes(wire), SERVER, CLIENT);
    }

    /** Sends {@code query} into a UDP pipeline and returns the single answer (parsed, buffer released). */
    static Message ask(EmbeddedChannel channel, Message query) {
        channel.writeInbound(packet(query.toWire()));
        return readUdp(channel);
    }

    static Message readUdp(EmbeddedChannel channel) {
        DatagramPacket out = channel.readOutbound();
        assertThat(out).as("an answer").isNotNull();
        try {
            assertThat(out.recipient()).isEqualTo(CLIENT);
            return parse(out.content());
        } finally {
            out.release();
            assertThat(out.refCnt()).isZero();
        }
    }

    static Message parse(ByteBuf wire) {
        try {
            return new Message(ByteBufUtil.getBytes(wire));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int udpSize(EmbeddedChannel channel, Message query) {
        channel.writeInbound(packet(query.toWire()));
        DatagramPacket out = channel.readOutbound();
        try {
            return out.content().readableBytes();
        } finally {
            out.release();
        }
    }

    static List<String> addresses(Message answer, int section) {
        return answer.getSection(section).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).sorted().collect(Collectors.toList());
    }

    static List<String> ips(String prefix, int from, int count) {
        List<String> ips = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ips.add(prefix + (from + i));
        }
        return ips;
    }

    static Ipv4Address ip(String text) {
        return Ipv4Address.parse(text);
    }
}
