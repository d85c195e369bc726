package io.icebergonline.job.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Flink SQL script split into statements at semicolons outside quotes and comments, as Flink's
 * SQL client does: {@code --} and {@code /* *}{@code /} comments are dropped (so a placeholder in a
 * comment is never resolved), and {@code EXECUTE STATEMENT SET BEGIN ...; ...; END} stays one
 * statement. Each statement keeps the line it starts on, for error messages.
 */
record SqlScript(String name, List<Statement> statements) {

  /** One statement: its 1-based number in the script, the line it starts on and its text without comments. */
  record Statement(int number, int line, String text) {
    /** The statement's first line, shortened, to name it in messages. */
    String summary() {
      String first = text.strip().lines().findFirst().orElse("");
      return first.length() > 80 ? first.substring(0, 77) + "..." : first;
    }
  }

  static SqlScript parse(String name, String script) {
    List<Statement> statements = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    int line = 1;
    int startLine = -1;
    int i = 0;
    while (i < script.length()) {
      char c = script.charAt(i);
      if (c == '-' && script.startsWith("--", i)) {
        while (i < script.length() && script.charAt(i) != '\n') {
          i++;
        }
        continue;
      }
      if (c == '/' && script.startsWith("/*", i)) {
        int end = script.indexOf("*/", i + 2);
        if (end < 0) {
          throw new SqlScriptException(name + ", line " + line + ": a comment is not closed (missing */)");
        }
        for (int j = i; j < end; j++) {
          if (script.charAt(j) == '\n') {
            line++;
            text.append('\n');
          }
        }
        text.append(' ');
        i = end + 2;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') {
        int quoteLine = line;
        if (startLine < 0) {
          startLine = line;
        }
        int end = closingQuote(script, i, c);
        if (end < 0) {
          throw new SqlScriptException(name + ", line " + quoteLine + ": a quoted text or name is not closed (missing "
              + c + ")");
        }
        String quoted = script.substring(i, end + 1);
        line += (int) quoted.chars().filter(ch -> ch == '\n').count();
        text.append(quoted);
        i = end + 1;
        continue;
      }
      if (c == ';' && !insideStatementSet(text)) {
        if (startLine >= 0) {
          statements.add(new Statement(statements.size() + 1, startLine, text.toString().strip()));
        }
        text.setLength(0);
        startLine = -1;
        i++;
        continue;
      }
      if (c == '\n') {
        line++;
      } else if (startLine < 0 && !Character.isWhitespace(c)) {
        startLine = line;
      }
      if (startLine >= 0) {
        text.append(c);
      }
      i++;
    }
    if (startLine >= 0) {
      statements.add(new Statement(statements.size() + 1, startLine, text.toString().strip()));
    }
    return new SqlScript(name, List.copyOf(statements));
  }

  /** The index of the quote closing the one at {@code start}; a doubled quote is an escaped one. */
  private static int closingQuote(String script, int start, char quote) {
    int i = start + 1;
    while (i < script.length()) {
      if (script.charAt(i) == quote) {
        if (i + 1 < script.length() && script.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i;
      }
      i++;
    }
    return -1;
  }

  /** True inside {@code EXECUTE STATEMENT SET BEGIN ...} before its {@code END}. */
  private static boolean insideStatementSet(CharSequence text) {
    String words = text.toString().strip().toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
    return words.startsWith("EXECUTE STATEMENT SET") && !words.endsWith("END");
  }
}
