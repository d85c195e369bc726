package io.icebergonline.job.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.job.Main;
import io.icebergonline.job.StandardError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlScriptTest {

  @Test
  void splitsAtSemicolonsOutsideQuotesAndCommentsKeepingEachStatementsLine() {
    SqlScript script = SqlScript.parse("s.sql", String.join("\n",
        "-- header; not a statement ${UNSET}",
        "SET 'a' = 'x;y';",
        "/* block;",
        "   comment */ CREATE TABLE t (",
        "  `odd;name` STRING, \"q\"\"uoted\" INT -- trailing; comment",
        ") WITH ('k' = 'it''s; fine');",
        "",
        "SELECT 1",
        ";SELECT 2"));
    assertThat(script.statements()).extracting(SqlScript.Statement::number, SqlScript.Statement::line)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 2), org.assertj.core.groups.Tuple.tuple(2, 4),
            org.assertj.core.groups.Tuple.tuple(3, 8), org.assertj.core.groups.Tuple.tuple(4, 9));
    assertThat(script.statements()).extracting(SqlScript.Statement::text).containsExactly(
        "SET 'a' = 'x;y'",
        "CREATE TABLE t (\n  `odd;name` STRING, \"q\"\"uoted\" INT \n) WITH ('k' = 'it''s; fine')",
        "SELECT 1",
        "SELECT 2");
    assertThat(script.statements().get(1).summary()).isEqualTo("CREATE TABLE t (");
  }

  @Test
  void aStatementSetIsOneStatement() {
    SqlScript script = SqlScript.parse("s.sql", String.join("\n",
        "EXECUTE STATEMENT SET BEGIN",
        "  INSERT INTO a SELECT * FROM s;",
        "  INSERT INTO b SELECT * FROM s;",
        "END;",
        "SELECT 3;"));
    assertThat(script.statements()).extracting(SqlScript.Statement::text).containsExactly(
        "EXECUTE STATEMENT SET BEGIN\n  INSERT INTO a SELECT * FROM s;\n  INSERT INTO b SELECT * FROM s;\nEND",
        "SELECT 3");
  }

  @Test
  void unclosedQuotesAndCommentsNameTheirLine() {
    assertThatThrownBy(() -> SqlScript.parse("s.sql", "SELECT 1;\nSELECT 'open;\n"))
        .hasMessage("s.sql, line 2: a quoted text or name is not closed (missing ')");
    assertThatThrownBy(() -> SqlScript.parse("s.sql", "SELECT 1;\n\n/* open"))
        .hasMessage("s.sql, line 3: a comment is not closed (missing */)");
    assertThat(SqlScript.parse("s.sql", "-- only a comment\n\n").statements()).isEqualTo(List.of());
  }

  @Test
  void theSqlCommandReportsUsageAndStatementErrors(@TempDir Path files) throws Exception {
    assertThat(StandardError.capture(() -> assertThat(Main.run(new String[] {"sql"})).isEqualTo(2)))
        .startsWith("error: sql needs at least one script file");
    assertThat(StandardError.capture(() -> assertThat(Main.run(new String[] {"sql", "missing.sql"})).isEqualTo(2)))
        .startsWith("error: no SQL script at missing.sql");
    Path script = files.resolve("typo.sql");
    Files.writeString(script, "SET 'parallelism.default' = '${P}';\nSELEC 1;\n");
    assertThat(StandardError.capture(() -> assertThat(Main.run(new String[] {"sql", script.toString(), "--set", "P"}))
        .isEqualTo(2))).startsWith("error: --set expects KEY=VALUE, got 'P'");
    assertThat(StandardError.capture(() -> assertThat(Main.run(new String[] {"sql", script.toString(), "--set", "P=1"}))
        .isEqualTo(1))).startsWith("error: " + script + ", statement 2 (line 2: SELEC 1): ")
        .contains("SELEC");
  }
}
