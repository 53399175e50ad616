package dev.flotilla.common;

import java.math.BigDecimal;
import java.math.MathContext;

/** Numbers as Docker's Go code prints them, so messages and CLI output read the same. */
public final class GoFormat {

    private static final String[] BINARY_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};

    private GoFormat() {
    }

    /**
     * Go's {@code %v} of a float64: the shortest digits that read back the same, with an exponent
     * below 1e-4 and from 1e21 ({@code 0.5}, {@code 1e-05}). Go's {@code %g} differs only from 1e6 up.
     */
    public static String float64(double d) {
        if (d == 0) {
            return "0";
        }
        BigDecimal b = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = b.unscaledValue().toString();
        int exp = digits.length() - 1 - b.scale();
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 21) {
            return sign + b.toPlainString();
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    /** go-units' {@code BytesSize}: binary units, four significant digits ("64MiB", "23.42GiB", "512B"). */
    public static String bytesSize(double bytes) {
        int unit = 0;
        while (bytes >= 1024 && unit < BINARY_UNITS.length - 1) {
            bytes /= 1024;
            unit++;
        }
        String number = bytes == 0 ? "0"
                : new BigDecimal(bytes).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        return number + BINARY_UNITS[unit];
    }

    /**
     * Go's {@code time.Time.String()} of an instant in UTC: {@code 2017-03-24 08:15:09.735 +0000 UTC}
     * (fraction without trailing zeros, none for a whole second), as Docker's pretty inspect prints it.
     */
    public static String time(long epochMs) {
        java.time.ZonedDateTime t = java.time.Instant.ofEpochMilli(epochMs).atZone(java.time.ZoneOffset.UTC);
        StringBuilder b = new StringBuilder(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").format(t));
        int millis = t.getNano() / 1_000_000;
        if (millis != 0) {
            String frac = String.format("%03d", millis);
            b.append('.').append(frac.replaceAll("0+$", ""));
        }
        return b.append(" +0000 UTC").toString();
    }
}
