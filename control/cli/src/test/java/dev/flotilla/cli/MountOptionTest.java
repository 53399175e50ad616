package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.Mount;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionTest {

    @Test
    void aVolumeIsTheDefaultTypeAndItsOptionsAreKept() {
        Mount m = MountOption.parse("--mount", "source=db,target=/var/lib/mysql,volume-label=tier=db,volume-nocopy,ro");

        assertThat(m.getType()).isEqualTo(Mount.Type.VOLUME);
        assertThat(m.getSource()).isEqualTo("db");
        assertThat(m.getTarget()).isEqualTo("/var/lib/mysql");
        assertThat(m.getReadOnly()).isTrue();
        assertThat(m.getVolume().getNoCopy()).isTrue();
        assertThat(m.getVolume().getLabelsMap()).containsEntry("tier", "db");
    }

    @Test
    void aliasesQuotingAndTmpfsSizesReadAsDockersDo() {
        Mount bind = MountOption.parse("--mount", "type=bind,\"src=/srv/a,b\",dst=/srv,readonly=false,bind-propagation=rshared");
        Mount tmpfs = MountOption.parse("--mount", "type=tmpfs,destination=/cache,tmpfs-size=64m,tmpfs-mode=1770");

        assertThat(bind.getType()).isEqualTo(Mount.Type.BIND);
        assertThat(bind.getSource()).isEqualTo("/srv/a,b");
        assertThat(bind.getReadOnly()).isFalse();
        assertThat(bind.getBindPropagation()).isEqualTo("rshared");
        assertThat(tmpfs.getTmpfs().getSizeBytes()).isEqualTo(64L << 20);
        assertThat(tmpfs.getTmpfs().getMode()).isEqualTo(01770);
    }

    @Test
    void badValuesGetDockersMessages() {
        assertThatThrownBy(() -> MountOption.parse("--mount", "type=bind,source"))
                .hasMessage("invalid argument \"type=bind,source\" for \"--mount\" flag: invalid field 'source' must be a key=value pair");
        assertThatThrownBy(() -> MountOption.parse("--mount", "type=tmpfs,volume-nocopy,target=/x"))
                .hasMessageEndingWith("cannot mix 'volume-*' options with mount type 'tmpfs'");
        assertThatThrownBy(() -> MountOption.parse("--mount", "type=volume,tmpfs-size=1m,target=/x"))
                .hasMessageEndingWith("cannot mix 'tmpfs-*' options with mount type 'volume'");
        assertThatThrownBy(() -> MountOption.parse("--mount", "target=/x,ro=yes"))
                .hasMessageEndingWith("invalid value for 'ro': invalid boolean value (\"yes\"): must be one of \"true\", "
                        + "\"1\", \"false\", or \"0\" (default \"true\")");
        assertThatThrownBy(() -> MountOption.parse("--mount", "target=/x,color=red"))
                .hasMessageEndingWith("unknown option 'color' in 'color=red'");
        assertThatThrownBy(() -> MountOption.parse("--mount", "type=tmpfs,target=/x,tmpfs-mode=9"))
                .hasMessageEndingWith("invalid value for tmpfs-mode: 9");
        assertThatThrownBy(() -> MountOption.parse("--mount", "target=/x,source="))
                .hasMessageEndingWith("invalid value for 'source': value is empty");
        assertThatThrownBy(() -> MountOption.parse("--mount", ""))
                .hasMessageEndingWith("value is empty");
    }

    @Test
    void mountAddReplacesTheSameTargetAndMountRmRemovesByTarget() {
        List<Mount> current = List.of(MountOption.parse("source=old,target=/data"),
                MountOption.parse("type=tmpfs,target=/cache"));

        List<Mount> updated = MountOption.update(current, List.of("source=new,target=/data", "type=bind,source=/srv,target=/srv"),
                List.of("/cache"));

        assertThat(updated).extracting(Mount::getSource, Mount::getTarget)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("/srv", "/srv"),
                        org.assertj.core.groups.Tuple.tuple("new", "/data"));
        assertThatThrownBy(() -> MountOption.update(current, List.of("target=/a", "source=b,target=/a"), List.of()))
                .hasMessage("duplicate mount target");
    }
}
