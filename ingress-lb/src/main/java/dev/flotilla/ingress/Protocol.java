package dev.flotilla.ingress;

/** Transport protocol of a published port; {@link #toString()} gives Docker's spelling ({@code 8080/tcp}). */
public enum Protocol {
    TCP, UDP;

    @Override
    public String toString() {
        return this == TCP ? "tcp" : "udp";
    }
}
