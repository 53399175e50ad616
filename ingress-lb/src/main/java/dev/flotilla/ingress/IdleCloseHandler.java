package dev.flotilla.ingress;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a client connection when the {@code IdleStateHandler} before it reports that nothing moved
 * in either direction; closing the client closes its backend through the relay. Stateless apart
 * from the port's counter, hence shared by all connections of one published port.
 */
@Sharable
final class IdleCloseHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(IdleCloseHandler.class);

    private final LongAdder idleClosed;

    IdleCloseHandler(LongAdder idleClosed) {
        this.idleClosed = idleClosed;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            idleClosed.increment();
            log.debug("closing idle connection from {}", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
