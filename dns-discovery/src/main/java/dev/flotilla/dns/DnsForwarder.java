package dev.flotilla.dns;

import io.netty.buffer.ByteBuf;

/** Sends queries the record table cannot answer to upstream resolvers. */
interface DnsForwarder extends AutoCloseable {

    /**
     * Forwards {@code query} (a whole DNS message; its id is the forwarder's to overwrite) and
     * reports the outcome to {@code callback} exactly once, on a thread of the forwarder's choosing.
     * May be called from any thread.
     *
     * @param query owned by the forwarder from this call on, whatever happens
     * @param overTcp ask upstreams over TCP (the client came over TCP, so a large answer must fit)
     */
    void forward(ByteBuf query, boolean overTcp, Callback callback);

    @Override
    void close();

    /** Where a forwarded query's outcome goes. */
    interface Callback {

        /**
         * An upstream answered (any rcode but SERVFAIL/REFUSED). The message still carries the
         * forwarder's id.
         *
         * @param response whole message from its reader index; owned by the callee
         */
        void onResponse(ByteBuf response);

        /** Every upstream failed, timed out or refused, or none is configured. */
        void onFailure();
    }
}
