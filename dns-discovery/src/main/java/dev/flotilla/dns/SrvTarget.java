package dev.flotilla.dns;

/**
 * One SRV answer: {@code target} (a service name) and {@code port}, priority 0, weight 0.
 *
 * @param target the name clients then resolve, as registered (answers keep its case)
 * @param port the published port, 1..65535
 */
public record SrvTarget(String target, int port) {

    public SrvTarget {
        DnsNames.validate(target);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("SRV port " + port + " is outside 1..65535");
        }
    }
}
