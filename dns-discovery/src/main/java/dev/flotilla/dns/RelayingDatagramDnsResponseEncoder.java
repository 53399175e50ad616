package dev.flotilla.dns;

import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DnsResponse;

/**
 * netty's {@link DatagramDnsResponseEncoder}, narrowed to envelopes that really hold a
 * {@link DnsResponse}. The stock encoder matches any {@code AddressedEnvelope}, so a
 * {@code DatagramPacket} relayed unparsed from an upstream would reach it and fail the cast; here
 * such packets pass to the socket untouched. Stateless, hence sharable.
 */
@Sharable
final class RelayingDatagramDnsResponseEncoder extends DatagramDnsResponseEncoder {

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof AddressedEnvelope<?, ?> envelope && envelope.content() instanceof DnsResponse;
    }
}
