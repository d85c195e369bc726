package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.apache.iceberg.Files;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.SeekableInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrefetchedStreamTest {
  private static final List<long[]> TWO_PAGES_APART = List.of(new long[] {100, 200}, new long[] {60_000, 60_100});

  @TempDir
  Path dir;

  @Test
  void rangesOfALocalFileAreFetchedWithoutTheBytesBetweenThem() throws Exception {
    InputFile local = Files.localInput(fileOf(100_000));

    try (PrefetchedStream pages = PrefetchedStream.fetch(local, TWO_PAGES_APART)) {
      assertThat(pages.bytesFetched()).isEqualTo(200);
      assertThat(readAt(pages, 60_050)).isEqualTo(byteAt(60_050));
    }
  }

  @Test
  void rangesOfAnObjectStoreFileCloserThanTheGapAreFetchedInOneRead() throws Exception {
    InputFile inObjectStore = new Relocated(Files.localInput(fileOf(100_000)), "s3://bucket/data/file.parquet");

    try (PrefetchedStream pages = PrefetchedStream.fetch(inObjectStore, TWO_PAGES_APART)) {
      assertThat(pages.bytesFetched()).isEqualTo(60_000);
      assertThat(readAt(pages, 150)).isEqualTo(byteAt(150));
    }
  }

  @Test
  void onlyLocationsWithAnObjectStoreSchemeAreInAnObjectStore() {
    assertThat(PrefetchedStream.inObjectStore("s3://bucket/key")).isTrue();
    assertThat(PrefetchedStream.inObjectStore("gs://bucket/key")).isTrue();
    assertThat(PrefetchedStream.inObjectStore("abfss://container@account.dfs.core.windows.net/key")).isTrue();
    assertThat(PrefetchedStream.inObjectStore("file:/tmp/warehouse/data.parquet")).isFalse();
    assertThat(PrefetchedStream.inObjectStore("/tmp/warehouse/data.parquet")).isFalse();
    assertThat(PrefetchedStream.inObjectStore("hdfs://namenode:8020/warehouse/data.parquet")).isFalse();
    assertThat(PrefetchedStream.inObjectStore("C:/warehouse/data.parquet")).isFalse();
  }

  private File fileOf(int length) throws Exception {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = byteAt(i);
    }
    return java.nio.file.Files.write(dir.resolve("file.bin"), bytes).toFile();
  }

  private static byte byteAt(long position) {
    return (byte) (position * 31 + 7);
  }

  private static byte readAt(PrefetchedStream stream, long position) throws Exception {
    stream.seek(position);
    byte[] one = new byte[1];
    assertThat(stream.read(one, 0, 1)).isEqualTo(1);
    return one[0];
  }

  /** A file read under another location, as if it were in an object store. */
  private record Relocated(InputFile file, String location) implements InputFile {
    @Override
    public long getLength() {
      return file.getLength();
    }

    @Override
    public SeekableInputStream newStream() {
      return file.newStream();
    }

    @Override
    public boolean exists() {
      return true;
    }
  }
}
