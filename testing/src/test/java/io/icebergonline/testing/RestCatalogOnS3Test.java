package io.icebergonline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RestCatalogOnS3Test {
  private static RestCatalogOnS3 server;

  @BeforeAll
  static void start() throws Exception {
    server = RestCatalogOnS3.start();
    System.out.printf("start-up: S3 mock %d ms, Iceberg REST catalog server %d ms%n",
        server.s3StartupMillis(), server.restStartupMillis());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void aTableWrittenThroughTheRestCatalogLivesOnS3AndReadsBack() throws Exception {
    Catalog catalog = server.newClient("round_trip");
    ((SupportsNamespaces) catalog).createNamespace(Namespace.of("db"));
    Schema schema = new Schema(
        Types.NestedField.required(1, "id", Types.LongType.get()),
        Types.NestedField.optional(2, "name", Types.StringType.get()));
    Table table = catalog.buildTable(TableIdentifier.of("db", "t"), schema)
        .withPartitionSpec(PartitionSpec.builderFor(schema).bucket("id", 4).build())
        .withProperty(TableProperties.FORMAT_VERSION, "2")
        .create();

    GenericFileWriterFactory writers = new GenericFileWriterFactory.Builder(table).dataFileFormat(FileFormat.PARQUET).build();
    OutputFileFactory files = OutputFileFactory.builderFor(table, 1, 1).format(FileFormat.PARQUET).build();
    AppendFiles append = table.newAppend();
    for (long id = 1; id <= 5; id++) {
      Record row = GenericRecord.create(schema);
      row.setField("id", id);
      row.setField("name", "n" + id);
      PartitionKey partition = new PartitionKey(table.spec(), schema);
      partition.partition(row);
      DataWriter<Record> writer = writers.newDataWriter(files.newOutputFile(table.spec(), partition), table.spec(), partition);
      try (writer) {
        writer.write(row);
      }
      append.appendFile(writer.toDataFile());
    }
    append.commit();

    Table reloaded = server.newClient("reader").loadTable(TableIdentifier.of("db", "t"));
    assertThat(reloaded.location()).startsWith("s3://" + RestCatalogOnS3.BUCKET + "/");
    assertThat(TableRows.readByKey(reloaded, "id").keySet()).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(TableRows.read(reloaded)).extracting(row -> row.get("name")).containsExactlyInAnyOrder(
        List.of("n1", "n2", "n3", "n4", "n5").toArray());
  }
}
