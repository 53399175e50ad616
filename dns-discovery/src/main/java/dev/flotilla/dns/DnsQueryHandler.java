package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DefaultDnsPtrRecord;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.timeout.ReadTimeoutException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Answers one sandbox's queries from the current {@link RecordTable}, scoped to its networks, and
 * hands the rest to the forwarder. One instance per sandbox and transport, shared by its channels
 * (and accepted TCP children): no per-channel state, hence sharable.
 *
 * <p>Decisions, in order: an opcode other than QUERY gets NOTIMP; not exactly one question gets
 * FORMERR; an IN/ANY question for a name the scope knows is answered locally (records of the
 * asked type, or NOERROR without answers: NODATA, never forwarded); a single-label A/AAAA/ANY
 * question nobody in scope knows gets NXDOMAIN locally (it is a failed container lookup; sending
 * it upstream would leak task names and, without a route, cost a timeout); everything else is
 * forwarded.
 *
 * <p>Buffers: {@link SimpleChannelInboundHandler} releases the query after {@link #channelRead0};
 * what is needed afterwards (the question, which is not reference counted, and header fields) is
 * copied out first. Responses are handed to the pipeline, which owns them from the write on.
 */
@Sharable
final class DnsQueryHandler extends SimpleChannelInboundHandler<DnsQuery> {

    private static final int A = DnsRecordType.A.intValue();
    private static final int AAAA = DnsRecordType.AAAA.intValue();
    private static final int PTR = DnsRecordType.PTR.intValue();
    private static final int SRV = DnsRecordType.SRV.intValue();
    private static final int ANY = DnsRecordType.ANY.intValue();
    private static final int OPT = DnsRecordType.OPT.intValue();
    /** Fixed part of a resource record after its name: type, class, TTL, RDLENGTH. */
    private static final int RR_FIXED = 10;

    private final EmbeddedDnsServer server;
    private final SandboxScope scope;
    private final boolean udp;
    private final DnsCounters counters;

    DnsQueryHandler(EmbeddedDnsServer server, SandboxScope scope, boolean udp) {
        super(DnsQuery.class);
        this.server = server;
        this.scope = scope;
        this.udp = udp;
        this.counters = server.counters();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DnsQuery query) {
        counters.queries.increment();
        DnsRecord opt = findOpt(query);
        int limit = udp ? udpLimit(opt) : TcpDnsQueryFrameDecoder.MAX_TCP_MESSAGE;
        if (!DnsOpCode.QUERY.equals(query.opCode())) {
            counters.notimp.increment();
            reply(ctx, errorResponse(query, DnsResponseCode.NOTIMP, opt != null));
            return;
        }
        if (query.count(DnsSection.QUESTION) != 1 || !DnsNames.isEncodable(query.recordAt(DnsSection.QUESTION).name())) {
            counters.formerr.increment();
            reply(ctx, errorResponse(query, DnsResponseCode.FORMERR, opt != null));
            return;
        }
        DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        int type = question.type().intValue();
        if (question.dnsClass() == DnsRecord.CLASS_IN || question.dnsClass() == DnsRecord.CLASS_ANY) {
            String key = DnsNames.key(question.name());
            NameRecords records = server.table().lookupKey(scope, key);
            if (records != null) {
                answer(ctx, query, question, records, opt != null, limit);
                return;
            }
            if (DnsNames.isSingleLabel(key) && (type == A || type == AAAA || type == ANY)) {
                counters.answeredLocally.increment();
                counters.nxdomain.increment();
                DnsResponse response = errorResponse(query, DnsResponseCode.NXDOMAIN, opt != null);
                response.setAuthoritativeAnswer(true);
                reply(ctx, response);
                return;
            }
        }
        forward(ctx, query, question, opt, limit);
    }

    /** UDP answers written while reading go out together, with one flush when the read is complete. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (udp) {
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Decoders never throw for bad input (see TolerantDatagramDnsQueryDecoder); what remains is
        // an idle TCP client (closed, not counted) or I/O trouble with one client, counted as a drop.
        // A UDP socket stays open for everyone else.
        if (!(cause instanceof ReadTimeoutException)) {
            counters.drops.increment();
        }
        if (!udp) {
            ctx.close();
        }
    }

    private void answer(ChannelHandlerContext ctx, DnsQuery query, DnsQuestion question, NameRecords records,
                        boolean edns, int limit) {
        String name = question.name();
        int nameLength = DnsNames.wireLength(name);
        long ttl = server.options().ttlSeconds();
        int type = question.type().intValue();
        boolean any = type == ANY;
        DnsResponse response = newResponse(query, DnsResponseCode.NOERROR);
        response.setAuthoritativeAnswer(true);
        int size = DnsWire.HEADER_LENGTH + nameLength + 4 + (edns ? DnsWire.EMPTY_OPT_LENGTH : 0);
        int answers = 0;
        boolean truncated = false;

        if (type == A || any) {
            List<Ipv4Address> addresses = records.addresses();
            int n = addresses.size();
            // Start at a random record: round robin for dnsrr and tasks.* without per-query state.
            int first = n > 1 ? ThreadLocalRandom.current().nextInt(n) : 0;
            for (int i = 0; i < n && !truncated; i++) {
                int length = nameLength + RR_FIXED + 4;
                if (size + length > limit) {
                    truncated = true;
                } else {
                    response.addRecord(DnsSection.ANSWER, aRecord(name, ttl, addresses.get((first + i) % n)));
                    size += length;
                    answers++;
                }
            }
        }
        if ((type == PTR || any) && !truncated) {
            for (String target : records.pointers()) {
                int length = nameLength + RR_FIXED + DnsNames.wireLength(target);
                if (size + length > limit) {
                    truncated = true;
                    break;
                }
                response.addRecord(DnsSection.ANSWER, new DefaultDnsPtrRecord(name, DnsRecord.CLASS_IN, ttl, target));
                size += length;
                answers++;
            }
        }
        int srvAnswers = 0;
        if ((type == SRV || any) && !truncated) {
            for (SrvTarget srv : records.services()) {
                int length = nameLength + RR_FIXED + 6 + DnsNames.wireLength(srv.target());
                if (size + length > limit) {
                    truncated = true;
                    break;
                }
                response.addRecord(DnsSection.ANSWER, srvRecord(name, ttl, srv));
                size += length;
                answers++;
                srvAnswers++;
            }
        }
        // Glue: the SRV targets' addresses, as far as they fit; missing glue is not truncation.
        for (int i = 0; i < srvAnswers; i++) {
            String target = records.services().get(i).target();
            NameRecords targetRecords = server.table().lookupKey(scope, DnsNames.key(target));
            if (targetRecords != null) {
                for (Ipv4Address address : targetRecords.addresses()) {
                    int length = DnsNames.wireLength(target) + RR_FIXED + 4;
                    if (size + length <= limit) {
                        response.addRecord(DnsSection.ADDITIONAL, aRecord(target, ttl, address));
                        size += length;
                    }
                }
            }
        }
        if (truncated) {
            response.setTruncated(true);
            counters.truncated.increment();
        } else if (answers == 0) {
            counters.nodata.increment();
        }
        if (edns) {
            response.addRecord(DnsSection.ADDITIONAL, optRecord());
        }
        counters.answeredLocally.increment();
        reply(ctx, response);
    }

    private void forward(ChannelHandlerContext ctx, DnsQuery query, DnsQuestion question, DnsRecord opt, int limit) {
        ByteBuf wire;
        try {
            wire = DnsWire.encodeQuery(ctx.alloc(), query, question, opt, server.options().maxUdpPayload());
        } catch (IllegalArgumentException unencodable) {
            counters.formerr.increment();
            reply(ctx, errorResponse(query, DnsResponseCode.FORMERR, opt != null));
            return;
        }
        counters.forwarded.increment();
        DatagramDnsQuery datagram = udp ? (DatagramDnsQuery) query : null;
        server.forwarder().forward(wire, !udp, new ClientReply(ctx.channel(), udp,
                udp ? datagram.sender() : null, udp ? datagram.recipient() : null, query.id(), query.opCode(),
                query.isRecursionDesired(), question, opt != null, limit, server.options().maxUdpPayload(), counters));
    }

    /** Writes a local answer: flushed at once over TCP, with the rest of the read over UDP. */
    private void reply(ChannelHandlerContext ctx, DnsResponse response) {
        if (udp) {
            ctx.write(response, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(response, ctx.voidPromise());
        }
    }

    /** An answer with the query's id, RD, opcode and (if writable) question, RA set (we recurse by forwarding). */
    private DnsResponse newResponse(DnsQuery query, DnsResponseCode code) {
        DnsResponse response;
        if (udp) {
            DatagramDnsQuery datagram = (DatagramDnsQuery) query;
            response = new DatagramDnsResponse(datagram.recipient(), datagram.sender(), query.id(), query.opCode(), code);
        } else {
            response = new DefaultDnsResponse(query.id(), query.opCode(), code);
        }
        response.setRecursionDesired(query.isRecursionDesired());
        response.setRecursionAvailable(true);
        // A question we could not write back (a NUL byte in a label, say) is not echoed.
        if (query.count(DnsSection.QUESTION) == 1 && DnsNames.isEncodable(query.recordAt(DnsSection.QUESTION).name())) {
            response.addRecord(DnsSection.QUESTION, query.recordAt(DnsSection.QUESTION));
        }
        return response;
    }

    private DnsResponse errorResponse(DnsQuery query, DnsResponseCode code, boolean edns) {
        DnsResponse response = newResponse(query, code);
        if (edns) {
            response.addRecord(DnsSection.ADDITIONAL, optRecord());
        }
        return response;
    }

    private DnsRecord optRecord() {
        return DnsWire.emptyOpt(server.options().maxUdpPayload());
    }

    /** The largest UDP answer this client takes: 512 without EDNS0, else its size within 512..our cap. */
    private int udpLimit(DnsRecord opt) {
        if (opt == null) {
            return DnsServerOptions.CLASSIC_UDP_PAYLOAD;
        }
        return Math.min(Math.max(opt.dnsClass(), DnsServerOptions.CLASSIC_UDP_PAYLOAD), server.options().maxUdpPayload());
    }

    private static DnsRecord findOpt(DnsQuery query) {
        int count = query.count(DnsSection.ADDITIONAL);
        for (int i = 0; i < count; i++) {
            DnsRecord record = query.recordAt(DnsSection.ADDITIONAL, i);
            if (record.type().intValue() == OPT) {
                return record;
            }
        }
        return null;
    }

    private static DnsRecord aRecord(String name, long ttl, Ipv4Address address) {
        return new DefaultDnsRawRecord(name, DnsRecordType.A, ttl, Unpooled.wrappedBuffer(address.toBytes()));
    }

    private static DnsRecord srvRecord(String name, long ttl, SrvTarget srv) {
        ByteBuf rdata = Unpooled.buffer(6 + DnsNames.wireLength(srv.target()));
        rdata.writeShort(0).writeShort(0).writeShort(srv.port());
        DnsWire.writeName(srv.target(), rdata);
        return new DefaultDnsRawRecord(name, DnsRecordType.SRV, ttl, rdata);
    }
}
