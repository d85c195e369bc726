package io.icebergonline.job.pipeline;

/**
 * How far one source subtask of a feature view has read a Kafka partition as of a checkpoint
 * barrier: the offset of the next record to read. {@link ParseAndCollapseOperator} sends it just
 * before each barrier, and {@link SourceOffsetCommitter} commits it to the consumer group once the
 * tables hold everything read before it. A Flink POJO.
 */
public class ReadPosition {
  public String featureView;
  public String topic;
  public int partition;
  public long nextOffset;

  public ReadPosition() {}

  ReadPosition(String featureView, String topic, int partition, long nextOffset) {
    this.featureView = featureView;
    this.topic = topic;
    this.partition = partition;
    this.nextOffset = nextOffset;
  }
}
