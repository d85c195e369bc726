package io.icebergonline.reader;

import java.io.IOException;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/** An Iceberg {@link org.apache.iceberg.io.InputFile} (any FileIO: S3, HDFS, local) as a Parquet {@link InputFile}. */
final class ParquetInputFile implements InputFile {
  private final org.apache.iceberg.io.InputFile file;

  ParquetInputFile(org.apache.iceberg.io.InputFile file) {
    this.file = file;
  }

  /**
   * Read options for one Parquet reader (a reader releases its options' codecs on close, so they
   * are not shared). Built on a plain configuration: Parquet's and Iceberg's defaults create a
   * Hadoop {@code Configuration} per reader (parsing its XML resources, or copying the FileIO's for
   * Hadoop files), which the profile of uncached lookups showed as about half their CPU time.
   */
  static ParquetReadOptions readOptions() {
    return ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
  }

  @Override
  public long getLength() {
    return file.getLength();
  }

  @Override
  public SeekableInputStream newStream() {
    return asParquet(file.newStream());
  }

  /** An Iceberg stream as a Parquet stream. */
  static SeekableInputStream asParquet(org.apache.iceberg.io.SeekableInputStream stream) {
    return new DelegatingSeekableInputStream(stream) {
      @Override
      public long getPos() throws IOException {
        return stream.getPos();
      }

      @Override
      public void seek(long newPos) throws IOException {
        stream.seek(newPos);
      }
    };
  }
}
