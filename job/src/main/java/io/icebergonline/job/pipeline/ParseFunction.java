package io.icebergonline.job.pipeline;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses a view's Kafka records; what cannot be parsed goes to the dead-letter side output,
 * counted, with its reason: a malformed record, and also any record the parser fails on otherwise.
 */
final class ParseFunction extends ProcessFunction<KafkaRecord, RowData> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ParseFunction.class);

  static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  private final String featureView;
  private final FeatureEventParser parser;
  private transient Counter malformed;
  private transient boolean unexpectedLogged;

  ParseFunction(String featureView, FeatureEventParser parser) {
    this.featureView = featureView;
    this.parser = parser;
  }

  @Override
  public void open(OpenContext openContext) {
    malformed = getRuntimeContext().getMetricGroup().counter("eventsMalformed");
  }

  @Override
  public void processElement(KafkaRecord record, Context context, Collector<RowData> out) {
    RowData parsed;
    try {
      parsed = parser.parse(record);
    } catch (MalformedEventException e) {
      deadLetter(record, context, e.getMessage(), null);
      return;
    } catch (RuntimeException e) {
      // a bug or an input nobody foresaw: one record must never stop the job (it would fail on it again after every restart)
      deadLetter(record, context, "unexpected error parsing the record: " + e, e);
      return;
    }
    out.collect(parsed);
  }

  /** Logs the first malformed record, and the first unexpected failure with its stack trace. */
  private void deadLetter(KafkaRecord record, Context context, String reason, RuntimeException unexpected) {
    if (unexpected != null && !unexpectedLogged) {
      unexpectedLogged = true;
      LOG.error("Feature view '{}': parsing the record at {} failed unexpectedly; it goes to the dead-letter topic "
          + "(later such failures are counted, not logged)", featureView, record.position(), unexpected);
    } else if (malformed.getCount() == 0) {
      LOG.warn("Feature view '{}': first malformed record at {} goes to the dead-letter topic: {}",
          featureView, record.position(), reason);
    }
    malformed.inc();
    context.output(DEAD_LETTERS, new DeadLetter(record, featureView, reason));
  }
}
