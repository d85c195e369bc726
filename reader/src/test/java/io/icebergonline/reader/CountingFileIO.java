package io.icebergonline.reader;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.iceberg.hadoop.HadoopFileIO;
import org.apache.iceberg.io.InputFile;

/**
 * Iceberg's Hadoop file IO that remembers every file it is asked to open, for tests that count
 * what a read touched: a catalog uses it through the {@code io-impl} property.
 */
public final class CountingFileIO extends HadoopFileIO {
  private static final List<String> OPENED = new CopyOnWriteArrayList<>();

  /** The locations opened so far in this JVM, in order, repeats included. */
  static List<String> opened() {
    return List.copyOf(OPENED);
  }

  @Override
  public InputFile newInputFile(String path) {
    OPENED.add(path);
    return super.newInputFile(path);
  }

  @Override
  public InputFile newInputFile(String path, long length) {
    OPENED.add(path);
    return super.newInputFile(path, length);
  }
}
