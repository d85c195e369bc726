package io.icebergonline.job;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Parses a view's Kafka records; what cannot be parsed goes to the dead-letter side output, counted. */
final class ParseFunction extends ProcessFunction<KafkaRecord, RowData> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ParseFunction.class);

  static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  private final String featureView;
  private final FeatureEventParser parser;
  private transient Counter malformed;

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
    try {
      out.collect(parser.parse(record));
    } catch (MalformedEventException e) {
      if (malformed.getCount() == 0) {
        LOG.warn("Feature view '{}': first malformed record at {} goes to the dead-letter topic: {}",
            featureView, record.position(), e.getMessage());
      }
      malformed.inc();
      context.output(DEAD_LETTERS, new DeadLetter(record, featureView, e.getMessage()));
    }
  }
}
