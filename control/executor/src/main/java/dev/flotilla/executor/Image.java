package dev.flotilla.executor;

import java.nio.file.Path;
import java.time.Instant;

/**
 * An image in the node-local store.
 *
 * @param reference the normalized reference, {@code NAME:TAG}
 * @param id {@code sha256:<hex>} over the rootfs's paths, types, modes, owners, link targets and file contents;
 *     equal content imported twice gets the same id
 * @param rootfs the unpacked root filesystem; read-only by convention, containers get their own writable copy
 * @param config how to run it
 * @param created when it was imported
 * @param size bytes in the rootfs's regular files
 */
public record Image(String reference, String id, Path rootfs, ImageConfig config, Instant created, long size) {
}
