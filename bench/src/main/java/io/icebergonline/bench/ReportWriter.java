package io.icebergonline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes a {@link Report}: {@code REPORT.md}, one CSV per result table and one SVG per chart. */
final class ReportWriter {
  private static final int CHART_WIDTH = 760;
  private static final int LABEL_WIDTH = 300;
  private static final int BAR_HEIGHT = 22;
  private static final int BAR_GAP = 8;
  private static final String[] COLOURS = {"#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#2c7a7b"};

  private ReportWriter() {}

  static Path write(Report report, Path directory) throws IOException {
    Files.createDirectories(directory);
    StringBuilder md = new StringBuilder("# iceberg-online benchmark report\n\n");
    md.append("Written by `java -jar bench/target/iceberg-online-bench.jar ").append(report.runFacts.get("Command"))
        .append("` (module `bench`). All numbers below come from that one run on this machine.\n\n");
    md.append("## Machine and run\n\n");
    appendFacts(md, report.runFacts);
    md.append("\n## Versions\n\n");
    appendFacts(md, Machine.versions());

    md.append("\n## Targets\n\n| area | target | measured | status |\n|---|---|---|---|\n");
    for (Report.Target target : report.targets) {
      String status = target.met() == null ? "NOT MEASURED" : target.met() ? "MET" : "NOT MET";
      md.append("| ").append(target.area()).append(" | ").append(target.target()).append(" | ")
          .append(target.measured()).append(" | **").append(status).append("** |\n");
    }

    List<String> csvFiles = new ArrayList<>();
    for (Report.Section section : report.sections) {
      md.append("\n## ").append(section.title()).append("\n\n");
      section.notes().forEach(note -> md.append("- ").append(note).append('\n'));
      for (Report.ResultTable table : section.tables()) {
        md.append("\n**").append(table.title()).append("** (raw: [").append(table.file()).append("](")
            .append(table.file()).append("))\n\n");
        appendMarkdownTable(md, table);
        Files.writeString(directory.resolve(table.file()), csv(table));
        csvFiles.add(table.file());
      }
      for (Report.BarChart chart : section.charts()) {
        Files.writeString(directory.resolve(chart.file()), svg(chart));
        md.append("\n![").append(chart.title()).append("](").append(chart.file()).append(")\n");
      }
    }
    md.append("\n## Raw numbers\n\n");
    csvFiles.forEach(file -> md.append("- [").append(file).append("](").append(file).append(")\n"));
    Path reportFile = directory.resolve("REPORT.md");
    Files.writeString(reportFile, md.toString());
    return reportFile;
  }

  private static void appendFacts(StringBuilder md, Map<String, String> facts) {
    md.append("| | |\n|---|---|\n");
    facts.forEach((key, value) -> md.append("| ").append(key).append(" | ").append(value).append(" |\n"));
  }

  private static void appendMarkdownTable(StringBuilder md, Report.ResultTable table) {
    md.append("| ").append(String.join(" | ", table.header())).append(" |\n|");
    table.header().forEach(column -> md.append("---|"));
    md.append('\n');
    for (List<String> row : table.rows()) {
      md.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
  }

  static String csv(Report.ResultTable table) {
    StringBuilder csv = new StringBuilder(csvLine(table.header()));
    table.rows().forEach(row -> csv.append(csvLine(row)));
    return csv.toString();
  }

  private static String csvLine(List<String> cells) {
    return cells.stream().map(ReportWriter::csvCell).collect(Collectors.joining(",")) + "\n";
  }

  private static String csvCell(String cell) {
    return cell.contains(",") || cell.contains("\"") || cell.contains("\n")
        ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell;
  }

  /** A horizontal bar chart, bars scaled to the largest value, each labelled with its value. */
  static String svg(Report.BarChart chart) {
    double max = chart.bars().values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
    int height = 50 + chart.bars().size() * (BAR_HEIGHT + BAR_GAP);
    int barSpace = CHART_WIDTH - LABEL_WIDTH - 110;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"13\">%n", CHART_WIDTH, height));
    svg.append(String.format(Locale.ROOT, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
        + "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s (%s)</text>%n",
        escape(chart.title()), escape(chart.unit())));
    int index = 0;
    for (Map.Entry<String, Double> bar : chart.bars().entrySet()) {
      int y = 40 + index * (BAR_HEIGHT + BAR_GAP);
      double value = bar.getValue();
      int width = max <= 0 ? 0 : (int) Math.round(barSpace * value / max);
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n"
              + "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n"
              + "<text x=\"%d\" y=\"%d\">%s</text>%n",
          LABEL_WIDTH - 8, y + 16, escape(bar.getKey()),
          LABEL_WIDTH, y, Math.max(width, 1), BAR_HEIGHT, COLOURS[index % COLOURS.length],
          LABEL_WIDTH + Math.max(width, 1) + 6, y + 16, Report.cell(value)));
      index++;
    }
    return svg.append("</svg>\n").toString();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
