package dev.flotilla.cli;

import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Resources;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --limit-cpu/--limit-memory/--limit-pids} and {@code --reserve-cpu/--reserve-memory},
 * shared by {@code service create} and {@code service update}: only the flags given change the
 * spec, 0 clears one. Values are parsed as docker/cli parses them (CPUs as a rational number,
 * memory as go-units' RAMInBytes); the manager checks their minimums.
 */
final class ResourceFlags {

    private static final BigInteger NANO = BigInteger.valueOf(1_000_000_000L);

    @Option(names = "--limit-cpu", paramLabel = "CPUS", description = "Limit CPUs")
    String limitCpu;

    @Option(names = "--limit-memory", paramLabel = "BYTES", description = "Limit Memory")
    String limitMemory;

    @Option(names = "--limit-pids", paramLabel = "N", description = "Limit maximum number of processes (default 0 = unlimited)")
    String limitPids;

    @Option(names = "--reserve-cpu", paramLabel = "CPUS", description = "Reserve CPUs")
    String reserveCpu;

    @Option(names = "--reserve-memory", paramLabel = "BYTES", description = "Reserve Memory")
    String reserveMemory;

    /** {@code base} with the flags given applied. */
    ResourceRequirements apply(ResourceRequirements base) {
        ResourceRequirements.Builder b = base.toBuilder();
        if (limitCpu != null || limitMemory != null || limitPids != null) {
            b.setLimits(limits(base.getLimits()));
        }
        if (reserveCpu != null || reserveMemory != null) {
            b.setReservations(reservations(base.getReservations()));
        }
        return b.build();
    }

    private Resources limits(Resources base) {
        Resources.Builder limits = base.toBuilder();
        if (limitCpu != null) {
            limits.setNanoCpus(nanoCpus(limitCpu, "--limit-cpu"));
        }
        if (limitMemory != null) {
            limits.setMemoryBytes(ramInBytes(limitMemory, "--limit-memory"));
        }
        if (limitPids != null) {
            limits.setPids(int64(limitPids, "--limit-pids"));
        }
        return limits.build();
    }

    private Resources reservations(Resources base) {
        Resources.Builder reservations = base.toBuilder();
        if (reserveCpu != null) {
            reservations.setNanoCpus(nanoCpus(reserveCpu, "--reserve-cpu"));
        }
        if (reserveMemory != null) {
            reservations.setMemoryBytes(ramInBytes(reserveMemory, "--reserve-memory"));
        }
        return reservations.build();
    }

    /** docker/cli's {@code opts.ParseCPUs}: a rational number ("1.5", "3/2") of whole billionths. */
    static long nanoCpus(String value, String flag) {
        BigDecimal cpus;
        try {
            int slash = value.indexOf('/');
            if (slash >= 0) {
                BigInteger num = new BigInteger(value.substring(0, slash));
                BigInteger den = new BigInteger(value.substring(slash + 1));
                BigInteger[] nano = num.multiply(NANO).divideAndRemainder(den);
                if (nano[1].signum() != 0) {
                    throw bad(value, flag, "value is too precise");
                }
                return nano[0].longValueExact();
            }
            cpus = new BigDecimal(value);
        } catch (NumberFormatException | ArithmeticException e) {
            throw bad(value, flag, "failed to parse " + value + " as a rational number");
        }
        try {
            return cpus.multiply(new BigDecimal(NANO)).longValueExact();
        } catch (ArithmeticException e) {
            throw bad(value, flag, "value is too precise");
        }
    }

    /**
     * go-units' {@code RAMInBytes} (v0.5): a number, an optional space, then nothing (bytes),
     * {@code b}, or one of {@code k m g t p} followed by nothing, {@code b} or {@code ib}, any
     * case, in powers of 1024: "64m", "1.5GiB", "512 kb", "100".
     */
    static long ramInBytes(String value, String flag) {
        int sep = -1;
        for (int i = value.length() - 1; i >= 0 && sep < 0; i--) {
            if ("0123456789. ".indexOf(value.charAt(i)) >= 0) {
                sep = i;
            }
        }
        if (sep < 0) {
            throw bad(value, flag, "invalid size: '" + value + "'");
        }
        String number = value.charAt(sep) == ' ' ? value.substring(0, sep) : value.substring(0, sep + 1);
        String suffix = value.substring(sep + 1).toLowerCase(Locale.ROOT);
        double size;
        try {
            if (number.isEmpty() || !number.strip().equals(number)) {
                throw new NumberFormatException();
            }
            size = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw bad(value, flag, "strconv.ParseFloat: parsing \"" + number + "\": invalid syntax");
        }
        if (size < 0) {
            throw bad(value, flag, "invalid size: '" + value + "'");
        }
        if (suffix.isEmpty() || suffix.equals("b")) {
            return (long) size;
        }
        int power = "kmgtp".indexOf(suffix.charAt(0)) + 1;
        boolean tail = suffix.length() == 1 || suffix.substring(1).equals("b") || suffix.substring(1).equals("ib");
        if (power == 0 || !tail) {
            throw bad(value, flag, "invalid suffix: '" + suffix + "'");
        }
        return (long) (size * Math.pow(1024, power));
    }

    private static long int64(String value, String flag) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw bad(value, flag, "strconv.ParseInt: parsing \"" + value + "\": invalid syntax");
        }
    }

    private static IllegalArgumentException bad(String value, String flag, String why) {
        return new IllegalArgumentException("invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why);
    }
}
