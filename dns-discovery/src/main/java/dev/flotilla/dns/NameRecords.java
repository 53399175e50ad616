package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;
import java.util.List;

/**
 * Everything one network knows about one name. A name that is in a table but has no record of the
 * asked type is answered NOERROR with no answers (NODATA), never forwarded.
 *
 * @param addresses A records (a service's VIP, or its task IPs under dnsrr, a container's IP)
 * @param pointers PTR targets, for names under {@code in-addr.arpa}
 * @param services SRV answers, for {@code _port._proto.service}
 */
public record NameRecords(List<Ipv4Address> addresses, List<String> pointers, List<SrvTarget> services) {

    public NameRecords {
        addresses = List.copyOf(addresses);
        pointers = List.copyOf(pointers);
        services = List.copyOf(services);
    }
}
