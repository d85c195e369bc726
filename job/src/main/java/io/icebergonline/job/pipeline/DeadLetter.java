package io.icebergonline.job.pipeline;

/** A malformed record on its way to the dead-letter topic: the original record, its view and why it failed. */
public class DeadLetter {
  public KafkaRecord record;
  public String featureView;
  public String reason;

  public DeadLetter() {}

  DeadLetter(KafkaRecord record, String featureView, String reason) {
    this.record = record;
    this.featureView = featureView;
    this.reason = reason;
  }
}
