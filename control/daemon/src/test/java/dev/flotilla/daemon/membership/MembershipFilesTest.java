package dev.flotilla.daemon.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.NodeCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node records of its membership is what a restarted daemon reads back, and leave erases all of it. */
class MembershipFilesTest {

    @TempDir
    Path dataRoot;

    @Test
    void aNodeThatNeverJoinedHasNoMembership() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        assertThat(files.load()).isEmpty();
        assertThat(files.certificate()).isEmpty();
    }

    @Test
    void aManagersStateComesBackAsItWasSaved() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        SwarmState manager = new SwarmState("n1", UUID.randomUUID(), "10.0.0.1", 2378, SwarmState.MANAGER, List.of());
        files.save(manager);
        assertThat(new MembershipFiles(dataRoot).load()).contains(manager);
        assertThat(manager.isWorker()).isFalse();
    }

    @Test
    void aWorkerRemembersTheManagersItKnows() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        SwarmState worker = new SwarmState("n2", null, "10.0.0.2", 2378, SwarmState.WORKER,
                List.of("10.0.0.1:2377", "10.0.0.3:2377"));
        files.save(worker);
        SwarmState read = new MembershipFiles(dataRoot).load().orElseThrow();
        assertThat(read).isEqualTo(worker);
        assertThat(read.isWorker()).isTrue();
        assertThat(read.managers()).containsExactly("10.0.0.1:2377", "10.0.0.3:2377");
    }

    @Test
    void saveReplacesTheRoleRecordedBefore() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        files.save(new SwarmState("n1", null, "10.0.0.1", 2378, SwarmState.WORKER, List.of("10.0.0.9:2377")));
        SwarmState promoted = new SwarmState("n1", UUID.randomUUID(), "10.0.0.1", 2378, SwarmState.MANAGER, List.of());
        files.save(promoted);
        assertThat(files.load()).contains(promoted);
    }

    @Test
    void aStateFileWithoutARoleIsAManagers() throws IOException {
        Path file = dataRoot.resolve("swarm").resolve("state.json");
        Files.createDirectories(file.getParent());
        UUID group = UUID.randomUUID();
        Files.writeString(file, "{\"nodeId\":\"n1\",\"raftGroupId\":\"" + group + "\",\"advertiseAddr\":\"10.0.0.1\",\"raftPort\":2378}");
        SwarmState read = new MembershipFiles(dataRoot).load().orElseThrow();
        assertThat(read.role()).isEqualTo(SwarmState.MANAGER);
        assertThat(read.raftGroupId()).isEqualTo(group);
        assertThat(read.managers()).isEmpty();
    }

    @Test
    void aWriteACrashInterruptedIsRemovedAndTheLastStateStays() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        SwarmState saved = new SwarmState("n1", UUID.randomUUID(), "10.0.0.1", 2378, SwarmState.MANAGER, List.of());
        files.save(saved);
        Path torn = dataRoot.resolve("swarm").resolve(".state.json.tmp");
        Files.writeString(torn, "{\"nodeId\":");
        assertThat(files.load()).contains(saved);
        assertThat(torn).doesNotExist();
    }

    @Test
    void eraseForgetsStateCertificatesAndTheRaftLog() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        CertificateAuthority ca = CertificateAuthority.create();
        files.save(NodeCertificate.selfIssued(ca, "n1", "10.0.0.1", "c1"));
        files.save(new SwarmState("n1", UUID.randomUUID(), "10.0.0.1", 2378, SwarmState.MANAGER, List.of()));
        Files.createDirectories(files.raftDir().resolve("group").resolve("current"));
        Files.writeString(files.raftDir().resolve("group").resolve("current").resolve("log_0-0"), "entries");
        assertThat(files.certificate()).isPresent();

        files.erase();

        assertThat(files.load()).isEmpty();
        assertThat(files.certificate()).isEmpty();
        assertThat(files.raftDir()).doesNotExist();
        files.erase();
    }

    @Test
    void theCertificateComesBackForTheSameNode() throws IOException {
        MembershipFiles files = new MembershipFiles(dataRoot);
        CertificateAuthority ca = CertificateAuthority.create();
        NodeCertificate id = NodeCertificate.selfIssued(ca, "n1", "10.0.0.1", "c1");
        files.save(id);
        NodeCertificate read = files.certificate().orElseThrow();
        assertThat(read.certificate()).isEqualTo(id.certificate());
        assertThat(read.rootCa()).isEqualTo(id.rootCa());
    }
}
