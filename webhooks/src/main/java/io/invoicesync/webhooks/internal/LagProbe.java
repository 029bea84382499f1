package io.invoicesync.webhooks.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.admin.ListOffsetsOptions;

/**
 * How long the oldest record each watched stage has not processed yet has waited: for each
 * {@code topic:group}, the partitions whose committed offset is behind the end, the record at the
 * committed offset read (committed data only), its timestamp against now. A stage that has
 * processed everything has no age.
 */
public final class LagProbe implements AutoCloseable {

  /** A stage to watch: its input topic and its consumer group. */
  public record Watch(String stage, String topic, String group) {

    /** {@code topic:group}, the stage named after the group. */
    public static Watch parse(String spec) {
      int colon = spec.indexOf(':');
      if (colon <= 0 || colon == spec.length() - 1) {
        throw new IllegalArgumentException("'" + spec + "' is not topic:group");
      }
      String group = spec.substring(colon + 1).trim();
      return new Watch(group, spec.substring(0, colon).trim(), group);
    }
  }

  private final Admin admin;
  private final Consumer<byte[], byte[]> consumer;
  private final List<Watch> watches;
  private final Duration timeout;

  public LagProbe(Admin admin, Consumer<byte[], byte[]> consumer, List<Watch> watches, Duration timeout) {
    this.admin = admin;
    this.consumer = consumer;
    this.watches = List.copyOf(watches);
    this.timeout = timeout;
  }

  /** One measurement. @throws Exception when Kafka does not answer within the timeout */
  public List<StallDetector.Lag> measure(Instant now) throws Exception {
    List<StallDetector.Lag> out = new ArrayList<>();
    for (Watch w : watches) {
      Set<TopicPartition> partitions = admin.describeTopics(List.of(w.topic())).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .get(w.topic()).partitions().stream().map(p -> new TopicPartition(w.topic(), p.partition())).collect(Collectors.toSet());
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(w.group()).partitionsToOffsetAndMetadata()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      partitions.forEach(tp -> {
        latest.put(tp, OffsetSpec.latest());
        earliest.put(tp, OffsetSpec.earliest());
      });
      ListOffsetsOptions readCommitted = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest, readCommitted).all()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest, readCommitted).all()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, Long> behind = new HashMap<>();
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata c = committed.get(tp);
        long position = c == null ? starts.get(tp).offset() : Math.max(c.offset(), starts.get(tp).offset());
        if (position < ends.get(tp).offset()) {
          behind.put(tp, position);
        }
      }
      Duration age = behind.isEmpty() ? null : oldest(behind, now);
      out.add(new StallDetector.Lag(w.stage(), w.topic(), w.group(), age));
    }
    return out;
  }

  /** The age of the oldest committed record at or after each position (markers and aborted data skipped by read_committed). */
  private Duration oldest(Map<TopicPartition, Long> positions, Instant now) {
    consumer.assign(positions.keySet());
    positions.forEach(consumer::seek);
    Map<TopicPartition, Long> first = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (first.size() < positions.size() && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        first.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.timestamp());
      }
      // a partition whose position reached its end without a record has only markers left: nothing waits there
      positions.keySet().removeIf(tp -> !first.containsKey(tp) && consumer.position(tp) >= positionEnd(tp));
    }
    consumer.assign(List.of());
    return first.values().stream().min(Long::compare).map(ts -> Duration.between(Instant.ofEpochMilli(ts), now)).orElse(null);
  }

  private long positionEnd(TopicPartition tp) {
    return consumer.endOffsets(List.of(tp)).get(tp);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
    admin.close(Duration.ofSeconds(2));
  }
}
