package dev.flotilla.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NativeTest {

    @Test
    void isAvailableOnLinux() {
        assertThat(Native.unavailabilityCause()).isNull();
        assertThat(Native.isAvailable()).isTrue();
        Native.ensureAvailability();
    }

    @Test
    void closingAnInvalidDescriptorReportsEbadf() {
        assertThatThrownBy(() -> FileDescriptors.close(-5))
                .isInstanceOfSatisfying(ErrnoException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EBADF);
                    assertThat(e.call()).isEqualTo("close");
                })
                .hasMessageContaining("Bad file descriptor");
    }

    @Test
    void interfaceNamesFollowTheKernelRule() {
        assertThat(InterfaceNames.validate("vtep0")).isEqualTo("vtep0");
        assertThat(InterfaceNames.validate("a23456789012345")).hasSize(15);
        assertThatThrownBy(() -> InterfaceNames.validate("a234567890123456"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 15");
        assertThatThrownBy(() -> InterfaceNames.validate("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InterfaceNames.validate("..")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InterfaceNames.validate("eth0:1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InterfaceNames.validate("a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InterfaceNames.validate("a b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tapNameIsValidatedBeforeAnySystemCall() {
        assertThatThrownBy(() -> TunTap.openTap("much-too-long-name", false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("much-too-long-name");
    }

    @Test
    void offloadOnAnInvalidDescriptorFails() {
        assertThatThrownBy(() -> TunTap.setOffload(-1, TunTap.TUN_F_CSUM))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF))
                .hasMessageContaining("TUNSETOFFLOAD");
    }
}
