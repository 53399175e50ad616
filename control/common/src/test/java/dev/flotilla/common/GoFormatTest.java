package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GoFormatTest {

    @Test
    void floatsAreWrittenAsGoWritesThem() {
        assertThat(GoFormat.float64(0.0005)).isEqualTo("0.0005");
        assertThat(GoFormat.float64(0.00001)).isEqualTo("1e-05");
        assertThat(GoFormat.float64(-0.5)).isEqualTo("-0.5");
        assertThat(GoFormat.float64(1.5)).isEqualTo("1.5");
        assertThat(GoFormat.float64(2)).isEqualTo("2");
        assertThat(GoFormat.float64(1234567)).isEqualTo("1234567");
    }

    @Test
    void sizesAreWrittenAsGoUnitsBytesSize() {
        assertThat(GoFormat.bytesSize(0)).isEqualTo("0B");
        assertThat(GoFormat.bytesSize(512)).isEqualTo("512B");
        assertThat(GoFormat.bytesSize(64L << 20)).isEqualTo("64MiB");
        assertThat(GoFormat.bytesSize(1536)).isEqualTo("1.5KiB");
        assertThat(GoFormat.bytesSize(24558180L * 1024)).isEqualTo("23.42GiB");
        assertThat(GoFormat.bytesSize(1023.99 * 1024)).isEqualTo("1024KiB");
    }

    @Test
    void instantsAreWrittenAsGosTimeString() {
        assertThat(GoFormat.time(1_490_343_309_735L)).isEqualTo("2017-03-24 08:15:09.735 +0000 UTC");
        assertThat(GoFormat.time(1_490_343_309_700L)).isEqualTo("2017-03-24 08:15:09.7 +0000 UTC");
        assertThat(GoFormat.time(1_490_343_309_000L)).isEqualTo("2017-03-24 08:15:09 +0000 UTC");
    }
}
