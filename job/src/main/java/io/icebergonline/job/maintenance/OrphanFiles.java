package io.icebergonline.job.maintenance;

import io.icebergonline.core.LiveTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsBulkOperations;
import org.apache.iceberg.io.SupportsPrefixOperations;

/**
 * Finds and deletes orphan files: files under the table location that no snapshot, metadata file
 * or statistics file of the table references (left by failed writes, aborted checkpoints or
 * rewrites that lost a conflict). Uses the table's own {@link FileIO} listing, so it needs no Spark
 * or Hadoop file system (S3FileIO and HadoopFileIO both list prefixes).
 *
 * <p>Only files older than a safety window are deleted: a writer's files exist before the commit
 * that references them, so the window must exceed the longest time from write to commit (a
 * checkpoint interval plus its duration, a bucket rewrite).
 */
final class OrphanFiles {
  /** The deleted orphans and the files left in the store. */
  record Result(List<FileInfo> deleted, List<FileInfo> remaining) {}

  private OrphanFiles() {}

  /**
   * Every file under the table location. Listed as a directory ({@code location/}): on an object
   * store the bare location is a key prefix that also matches sibling tables whose names extend
   * this one's, such as the view's delete log {@code <view>__deletes}.
   */
  static List<FileInfo> list(Table table) {
    if (!(table.io() instanceof SupportsPrefixOperations prefixes)) {
      throw new IllegalStateException("The FileIO of " + table.name() + " (" + table.io().getClass().getName()
          + ") cannot list files, so orphan files cannot be found");
    }
    List<FileInfo> files = new ArrayList<>();
    String location = table.location();
    prefixes.listPrefix(location.endsWith("/") ? location : location + "/").forEach(files::add);
    return files;
  }

  /**
   * Deletes the files under the table location that are older than {@code olderThanMillis} and not
   * reachable from the table's current metadata. Lists first and reads the metadata after, so a
   * file committed in between counts as reachable.
   */
  static Result deleteOrphans(LiveTable liveTable, long olderThanMillis) {
    List<FileInfo> listed = list(liveTable.table());
    Table table = liveTable.refresh();
    Set<String> reachable = reachable(table);
    List<FileInfo> orphans = new ArrayList<>();
    List<FileInfo> remaining = new ArrayList<>();
    for (FileInfo file : listed) {
      boolean orphan = !reachable.contains(normalize(file.location())) && file.createdAtMillis() < olderThanMillis;
      (orphan ? orphans : remaining).add(file);
    }
    List<String> locations = orphans.stream().map(FileInfo::location).toList();
    if (table.io() instanceof SupportsBulkOperations bulk) {
      bulk.deleteFiles(locations);
    } else {
      locations.forEach(table.io()::deleteFile);
    }
    return new Result(orphans, remaining);
  }

  /** Normalized locations of every file the table's metadata references. */
  static Set<String> reachable(Table table) {
    Set<String> locations = new HashSet<>();
    // the current metadata file and its log; not recursive: with delete-after-commit, the older
    // metadata files the log names are often gone, and reading them logs an error per file
    locations.addAll(ReachableFileUtil.metadataFileLocations(table, false));
    locations.add(ReachableFileUtil.versionHintLocation(table)); // Hadoop tables only; absent elsewhere
    locations.addAll(ReachableFileUtil.manifestListLocations(table));
    locations.addAll(ReachableFileUtil.statisticsFilesLocations(table));
    Set<String> manifests = new HashSet<>();
    for (Snapshot snapshot : table.snapshots()) {
      for (ManifestFile manifest : snapshot.allManifests(table.io())) {
        if (manifests.add(manifest.path())) {
          addContentFiles(table, manifest, locations);
        }
      }
    }
    locations.addAll(manifests);
    Set<String> normalized = new HashSet<>();
    locations.forEach(location -> normalized.add(normalize(location)));
    return normalized;
  }

  private static void addContentFiles(Table table, ManifestFile manifest, Set<String> locations) {
    try (ManifestReader<? extends ContentFile<?>> reader = switch (manifest.content()) {
      case DATA -> ManifestFiles.read(manifest, table.io(), table.specs());
      case DELETES -> ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs());
    }) {
      reader.select(List.of("file_path")).forEach(file -> locations.add(file.location()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A location without its scheme, so {@code s3://b/k} and {@code s3a://b/k}, or {@code file:/p}
   * and {@code file:///p}, compare equal.
   */
  static String normalize(String location) {
    java.net.URI uri = new Path(location).toUri();
    return (uri.getAuthority() == null ? "" : uri.getAuthority()) + uri.getPath().replaceAll("/+", "/");
  }
}
