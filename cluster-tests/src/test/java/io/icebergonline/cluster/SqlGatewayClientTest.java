package io.icebergonline.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SQL client's splitting and the user's placeholder filling, on the project's own scripts. */
class SqlGatewayClientTest {
  private static final Path SQL = Path.of(System.getProperty("sql.dir", "../sql"));

  @Test
  void theScriptsSplitIntoTheStatementsTheSqlClientSends() throws Exception {
    List<String> enrich = SqlGatewayClient.statements(Files.readString(SQL.resolve("enrich_orders.sql")));
    List<String> catalog = SqlGatewayClient.statements(Files.readString(SQL.resolve("online_catalog.sql")));

    assertThat(enrich).hasSize(5);
    assertThat(enrich.get(0)).startsWith("-- Enrich a Kafka stream").endsWith("SET 'execution.checkpointing.interval' = '${CHECKPOINT_INTERVAL:-10s}';");
    assertThat(enrich.get(1)).isEqualTo("SET 'pipeline.name' = 'iceberg-online enrich orders';");
    assertThat(enrich.get(2)).startsWith("CREATE TABLE orders (").endsWith(");");
    assertThat(enrich.get(4)).startsWith("INSERT INTO enriched_orders").endsWith("ON o.driver_id = d.driver_id;");
    assertThat(catalog).singleElement().asString().contains("CREATE CATALOG online WITH (");
  }

  @Test
  void aSemicolonInsideQuotesOrCommentsDoesNotEndAStatement() {
    assertThat(SqlGatewayClient.statements("SELECT 'a;\nb;' AS x; -- c;\n/* d;\n e; */ SELECT 2;\n"))
        .containsExactly("SELECT 'a;\nb;' AS x; -- c;", "/* d;\n e; */ SELECT 2;");
  }

  @Test
  void placeholdersTakeTheGivenValueElseTheirDefaultElseFail() {
    assertThat(SqlGatewayClient.fill("'${A}' '${B:-two}' '${C:-}'", Map.of("A", "one"))).isEqualTo("'one' 'two' ''");
    assertThatThrownBy(() -> SqlGatewayClient.fill("${MISSING}", Map.of())).hasMessageContaining("MISSING");
  }
}
