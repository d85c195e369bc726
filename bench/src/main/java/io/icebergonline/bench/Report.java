package io.icebergonline.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run measured, collected by the benchmarks and written by {@link ReportWriter}: per section
 * notes, result tables (each also a CSV file) and bar charts (each an SVG file), and the issue's
 * targets, each met or not with the measured value.
 */
final class Report {
  /** One target of the issue; {@code met} is null when this run did not measure it. */
  record Target(String area, String target, String measured, Boolean met) {}

  /** A table of raw numbers; {@code file} is the CSV's name. */
  record ResultTable(String file, String title, List<String> header, List<List<String>> rows) {
    ResultTable(String file, String title, String... header) {
      this(file, title, List.of(header), new ArrayList<>());
    }

    void add(Object... cells) {
      rows.add(Arrays.stream(cells).map(Report::cell).toList());
    }
  }

  /** A horizontal bar chart; {@code file} is the SVG's name. */
  record BarChart(String file, String title, String unit, Map<String, Double> bars) {}

  /** A part of the report: one benchmark. */
  record Section(String title, List<String> notes, List<ResultTable> tables, List<BarChart> charts) {
    Section(String title) {
      this(title, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    void note(String format, Object... args) {
      notes.add(String.format(Locale.ROOT, format, args));
    }
  }

  final Map<String, String> runFacts = new LinkedHashMap<>();
  final List<Section> sections = new ArrayList<>();
  final List<Target> targets = new ArrayList<>();

  Section section(String title) {
    Section section = new Section(title);
    sections.add(section);
    return section;
  }

  void target(String area, String target, String measured, Boolean met) {
    targets.add(new Target(area, target, measured, met));
  }

  /** A number as a table cell: integers as they are, other numbers with up to three decimals. */
  static String cell(Object value) {
    if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      if (Double.isNaN(number)) {
        return "n/a";
      }
      return Math.abs(number) >= 100 ? String.format(Locale.ROOT, "%.0f", number)
          : String.format(Locale.ROOT, "%.3f", number).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return String.valueOf(value);
  }
}
