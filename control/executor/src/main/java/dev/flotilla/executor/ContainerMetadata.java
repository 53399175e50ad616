package dev.flotilla.executor;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code container.json} in a bundle: the spec as resolved at create time, so a restarted daemon can tell
 * which task a leftover container belonged to.
 */
record ContainerMetadata(String id, String name, String image, String imageId, String hostname, List<String> args,
        List<String> env, String cwd, String netnsPath, String resolvConf, Map<String, String> labels,
        String created, String rootfs, List<String> volumes, List<String> anonymousVolumes) {

    static ContainerMetadata of(ContainerSpec spec, Image image, ProcessConfig process, Instant created,
            RootfsProvisioner.Mode rootfs, List<String> volumes, List<String> anonymousVolumes) {
        return new ContainerMetadata(spec.id(), spec.name(), image.reference(), image.id(), spec.hostname(),
                process.args(), process.env(), process.cwd(), pathOrNull(spec.netnsPath()),
                pathOrNull(spec.resolvConf()), spec.labels(), created.toString(), rootfs.name().toLowerCase(),
                volumes, anonymousVolumes);
    }

    /** The volumes it mounts, named and anonymous; none for a bundle written before volumes existed. */
    List<String> allVolumes() {
        List<String> all = new java.util.ArrayList<>(volumes == null ? List.of() : volumes);
        all.addAll(anonymousVolumes == null ? List.of() : anonymousVolumes);
        return all;
    }

    Container toContainer(Path bundle) {
        return new Container(id, name, image, args == null ? List.of() : args, labels == null ? Map.of() : labels, bundle,
                Instant.parse(created));
    }

    private static String pathOrNull(Path path) {
        return path == null ? null : path.toString();
    }
}
