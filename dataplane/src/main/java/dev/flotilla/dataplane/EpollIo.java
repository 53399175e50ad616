package dev.flotilla.dataplane;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty's epoll I/O handler with one fix: a channel whose interest set becomes empty stays in the
 * epoll set. Every Flotilla event loop uses {@link #newFactory()} instead of
 * {@link EpollIoHandler#newFactory()}.
 *
 * <p>The bug, in Netty 4.2.18 to 4.2.21: an empty interest set makes the registration
 * {@code EPOLL_CTL_DEL} its fd but keep its "added" state, so the next interest (EPOLLOUT when a
 * write meets a full socket buffer, EPOLLIN on a read) is an {@code EPOLL_CTL_MOD} that fails
 * with ENOENT, and Netty closes the channel with that write unsent. A relayed connection gets
 * there once its client has half-closed: EPOLLRDHUP has fired and is cleared, AUTO_READ is off,
 * nothing is queued, so the set is empty; the backend's answer then stops at the first full
 * buffer and the client gets a FIN after part of it (TcpProxyTest.largeTransferArrivesIntact
 * caught about one 64 MiB transfer in 150).
 *
 * <p>The fix: an empty set is registered as {@code EPOLLET} alone, which asks for no event (the
 * kernel's EPOLLHUP and EPOLLERR, always reported, come once per edge instead of on every wait,
 * which is what Netty's delete was for), so the fd stays in the set and the next interest is a
 * {@code EPOLL_CTL_MOD} that succeeds.
 */
public final class EpollIo {

    private EpollIo() {
    }

    /** What {@link EpollIoHandler#newFactory()} makes, with the fix above. */
    public static IoHandlerFactory newFactory() {
        IoHandlerFactory epoll = EpollIoHandler.newFactory();
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new KeepRegistered(epoll.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return epoll.isChangingThreadSupported();
            }
        };
    }

    /** Whether {@code loop} runs epoll: made by {@link #newFactory()} or by Netty's own. */
    public static boolean drives(IoEventLoop loop) {
        return loop.isIoType(KeepRegistered.class) || loop.isIoType(EpollIoHandler.class);
    }

    /** The interest set sent for {@code ops}: never the empty one. */
    static IoOps neverEmpty(IoOps ops) {
        return ops instanceof EpollIoOps e && e.value() == EpollIoOps.NONE.value() ? EpollIoOps.EPOLLET : ops;
    }

    private record KeepRegistered(IoHandler epoll) implements IoHandler {
        @Override
        public void initialize() {
            epoll.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            return epoll.run(context);
        }

        @Override
        public void prepareToDestroy() {
            epoll.prepareToDestroy();
        }

        @Override
        public void destroy() {
            epoll.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return new Registration(epoll.register(handle));
        }

        @Override
        public void wakeup() {
            epoll.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return epoll.isCompatible(handleType);
        }
    }

    private record Registration(IoRegistration epoll) implements IoRegistration {
        @Override
        public <T> T attachment() {
            return epoll.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            return epoll.submit(neverEmpty(ops));
        }

        @Override
        public boolean isValid() {
            return epoll.isValid();
        }

        @Override
        public boolean cancel() {
            return epoll.cancel();
        }
    }
}
