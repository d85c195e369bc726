package io.icebergonline.reader;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.RangeReadable;
import org.apache.parquet.io.SeekableInputStream;

/**
 * A Parquet stream over byte ranges of a file fetched up front, one ranged read (one GET on an
 * object store) per range, so that a Parquet reader seeking between the pages and indexes of
 * several columns costs no request of its own. Reads outside the ranges go to the file.
 */
final class PrefetchedStream extends SeekableInputStream {
  /**
   * Ranges of a file in an object store closer than this are fetched as one: a request costs more
   * than this many bytes. Ranges of a local or HDFS file are read each on its own: a seek costs
   * next to nothing there, and the bytes between them would only be copied and collected. Measured
   * on a local warehouse, 1M keys after 20 commits: 575,672 → 446,544 bytes allocated per uncached
   * point read, p50 1.42 → 1.24 ms.
   */
  static final long COALESCE_GAP_BYTES = 128L * 1024;

  private record Range(long offset, byte[] bytes) {
    long end() {
      return offset + bytes.length;
    }
  }

  private final List<Range> ranges;
  private final org.apache.iceberg.io.SeekableInputStream file;
  private final SeekableInputStream fileAsParquet;
  private final long bytesFetched;
  private long pos;

  private PrefetchedStream(List<Range> ranges, org.apache.iceberg.io.SeekableInputStream file, long bytesFetched) {
    this.ranges = ranges;
    this.file = file;
    this.fileAsParquet = ParquetInputFile.asParquet(file);
    this.bytesFetched = bytesFetched;
  }

  /**
   * Fetches the byte ranges ({@code [offset, end)} pairs, sorted by offset, not overlapping),
   * merging those less than {@link #COALESCE_GAP_BYTES} apart into one read where the file is in
   * an object store, and only adjacent ones elsewhere.
   */
  static PrefetchedStream fetch(InputFile file, List<long[]> sortedRanges) throws IOException {
    long coalesceGap = inObjectStore(file.location()) ? COALESCE_GAP_BYTES : 0;
    List<long[]> merged = new ArrayList<>();
    for (long[] range : sortedRanges) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && range[0] - last[1] <= coalesceGap) {
        last[1] = Math.max(last[1], range[1]);
      } else {
        merged.add(new long[] {range[0], range[1]});
      }
    }
    org.apache.iceberg.io.SeekableInputStream stream = file.newStream();
    List<Range> fetched = new ArrayList<>();
    long bytes = 0;
    try {
      for (long[] range : merged) {
        byte[] buffer = new byte[Math.toIntExact(range[1] - range[0])];
        if (stream instanceof RangeReadable ranged) {
          ranged.readFully(range[0], buffer); // S3: one GET with a Range header
        } else {
          stream.seek(range[0]);
          readFully(stream, buffer);
        }
        fetched.add(new Range(range[0], buffer));
        bytes += buffer.length;
      }
    } catch (IOException | RuntimeException e) {
      stream.close();
      throw e;
    }
    return new PrefetchedStream(fetched, stream, bytes);
  }

  /** True unless the location is a local path or on HDFS (a scheme such as s3, gs or abfs). */
  static boolean inObjectStore(String location) {
    int colon = location.indexOf(':');
    if (colon <= 1) {
      return false; // no scheme, or a Windows drive letter
    }
    String scheme = location.substring(0, colon).toLowerCase(Locale.ROOT);
    return !scheme.equals("file") && !scheme.equals("hdfs") && !scheme.equals("viewfs");
  }

  private static void readFully(java.io.InputStream stream, byte[] buffer) throws IOException {
    int read = 0;
    while (read < buffer.length) {
      int n = stream.read(buffer, read, buffer.length - read);
      if (n < 0) {
        throw new EOFException("Reached the end of the file with " + (buffer.length - read) + " bytes left to read");
      }
      read += n;
    }
  }

  /** Bytes fetched up front. */
  long bytesFetched() {
    return bytesFetched;
  }

  private Range rangeAt(long position) {
    for (Range range : ranges) {
      if (range.offset() <= position && position < range.end()) {
        return range;
      }
    }
    return null;
  }

  @Override
  public long getPos() {
    return pos;
  }

  @Override
  public void seek(long newPos) {
    pos = newPos;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] bytes, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    Range range = rangeAt(pos);
    int n;
    if (range != null) {
      n = (int) Math.min(length, range.end() - pos);
      System.arraycopy(range.bytes(), (int) (pos - range.offset()), bytes, offset, n);
    } else {
      file.seek(pos);
      n = file.read(bytes, offset, length);
      if (n < 0) {
        return -1;
      }
    }
    pos += n;
    return n;
  }

  @Override
  public void readFully(byte[] bytes) throws IOException {
    readFully(bytes, 0, bytes.length);
  }

  @Override
  public void readFully(byte[] bytes, int start, int length) throws IOException {
    int read = 0;
    while (read < length) {
      int n = read(bytes, start + read, length - read);
      if (n < 0) {
        throw new EOFException("Reached the end of the file with " + (length - read) + " bytes left to read");
      }
      read += n;
    }
  }

  @Override
  public int read(ByteBuffer buffer) throws IOException {
    if (!buffer.hasRemaining()) {
      return 0;
    }
    Range range = rangeAt(pos);
    if (range == null) {
      fileAsParquet.seek(pos);
      int n = fileAsParquet.read(buffer);
      if (n > 0) {
        pos += n;
      }
      return n;
    }
    int n = (int) Math.min(buffer.remaining(), range.end() - pos);
    buffer.put(range.bytes(), (int) (pos - range.offset()), n);
    pos += n;
    return n;
  }

  @Override
  public void readFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (read(buffer) < 0) {
        throw new EOFException("Reached the end of the file with " + buffer.remaining() + " bytes left to read");
      }
    }
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
