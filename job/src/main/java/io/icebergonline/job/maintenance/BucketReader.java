package io.icebergonline.job.maintenance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.BaseDeleteLoader;
import org.apache.iceberg.data.DeleteFilter;
import org.apache.iceberg.data.DeleteLoader;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.IdentityPartitionConverters;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.formats.FormatModelRegistry;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.util.PartitionUtil;

/**
 * Reads the live rows of one bucket's scan tasks, applying every equality and position delete the
 * way Iceberg's generic reader does (same {@link GenericDeleteFilter} on Iceberg's planned tasks), but
 * loading each delete file once per bucket instead of once per data file it applies to: a bucket
 * after N upsert commits has about N data files and N equality-delete files, and the generic
 * reader would read the deletes N²/2 times. The cache is the hook Iceberg's {@link BaseDeleteLoader}
 * provides for this ({@code canCache} / {@code getOrLoad}); it lives as long as this reader.
 */
public final class BucketReader {
  private final Table table;
  private final Map<String, Object> loadedDeletes = new ConcurrentHashMap<>();
  private final DeleteLoader deleteLoader;

  public BucketReader(Table table, ExecutorService workers) {
    this.table = table;
    this.deleteLoader = new BaseDeleteLoader(deleteFile -> table.io().newInputFile(deleteFile), workers) {
      @Override
      protected boolean canCache(long size) {
        return true;
      }

      @Override
      @SuppressWarnings("unchecked")
      protected <V> V getOrLoad(String key, Supplier<V> valueSupplier, long valueSize) {
        return (V) loadedDeletes.computeIfAbsent(key, ignored -> valueSupplier.get());
      }
    };
  }

  /**
   * The live rows of the given scan tasks (planned without a row filter), with the columns of the
   * current table schema first.
   */
  List<Record> liveRows(List<FileScanTask> tasks) {
    return liveRows(tasks, table.schema());
  }

  /**
   * The live rows of the given scan tasks reading only the columns of {@code projection} (plus
   * those the deletes need, after them): the projected columns are the first of each record.
   */
  public List<Record> liveRows(List<FileScanTask> tasks, Schema projection) {
    Schema schema = table.schema();
    List<Record> rows = new ArrayList<>();
    for (FileScanTask task : tasks) {
      DeleteFilter<Record> deletes = new GenericDeleteFilter(table.io(), task, schema, projection) {
        @Override
        protected DeleteLoader newDeleteLoader() {
          return deleteLoader;
        }
      };
      try (CloseableIterable<Record> live = deletes.filter(open(task, deletes.requiredSchema()))) {
        live.forEach(rows::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return rows;
  }

  private CloseableIterable<Record> open(FileScanTask task, Schema projection) {
    return FormatModelRegistry.<Record, Schema>readBuilder(
            task.file().format(), Record.class, table.io().newInputFile(task.file()))
        .project(projection)
        .idToConstant(PartitionUtil.constantsMap(task, IdentityPartitionConverters::convertConstant))
        .split(task.start(), task.length())
        .build();
  }
}
