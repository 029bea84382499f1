package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka records the pipeline wrote in a window (issue 23's {@code kafka_records_per_invoice}): the
 * end offsets ({@code listOffsets(latest)}) of every partition of every topic, internal ones
 * included ({@code __consumer_offsets}, {@code __transaction_state}), summed per topic, before and
 * after the window. An end offset counts every record appended, transaction markers included, and
 * neither compaction nor retention lowers it.
 *
 * @param recordsByTopic records appended per topic in the window, highest first; topics with none left out
 * @param invoices       invoices issued in the window
 * @param capturedChanges InvoiceChange records ingest published in the window (creations and status changes), or -1
 */
record KafkaWrites(Map<String, Long> recordsByTopic, long invoices, long capturedChanges) {

  KafkaWrites {
    recordsByTopic = sortedDescending(recordsByTopic);
  }

  long total() {
    return recordsByTopic.values().stream().mapToLong(Long::longValue).sum();
  }

  double perInvoice() {
    return per(total(), invoices);
  }

  /** Per captured change, the unit of the demo measurement (~15); null when the count is unknown. */
  Double perCapturedChange() {
    return capturedChanges <= 0 ? null : per(total(), capturedChanges);
  }

  /** Records per invoice by topic, highest first. */
  Map<String, Double> perInvoiceByTopic() {
    Map<String, Double> out = new LinkedHashMap<>();
    recordsByTopic.forEach((t, n) -> out.put(t, per(n, invoices)));
    return out;
  }

  private static double per(long n, long invoices) {
    return invoices <= 0 ? 0 : Math.round(n * 1000.0 / invoices) / 1000.0;
  }

  /** after - before per topic (a topic created in the window counts from 0); topics without new records left out. */
  static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new TreeMap<>();
    after.forEach((topic, end) -> {
      long n = end - before.getOrDefault(topic, 0L);
      if (n > 0) {
        d.put(topic, n);
      }
    });
    return d;
  }

  /**
   * Settled: the last {@code window} polls (so {@code window} intervals) added at most
   * {@code tolerance} records in all; {@code totals} are the summed end offsets, oldest first.
   */
  static boolean settled(List<Long> totals, int window, long tolerance) {
    if (totals.size() <= window) {
      return false;
    }
    return totals.get(totals.size() - 1) - totals.get(totals.size() - 1 - window) <= tolerance;
  }

  private static Map<String, Long> sortedDescending(Map<String, Long> m) {
    Map<String, Long> out = new LinkedHashMap<>();
    m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** The bench's own admin client; its client id books its thread to the bench ({@link CpuBreakdown#stage}). */
  static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, CpuBreakdown.BENCH_CLIENT_ID);
    return Admin.create(p);
  }

  /** End offset of every topic (internal ones included), summed over its partitions. */
  static Map<String, Long> endOffsets(Admin admin) throws Exception {
    Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
    Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    topics.values().forEach(t -> t.partitions().forEach(p -> request.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest())));
    Map<String, Long> byTopic = new TreeMap<>();
    admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> byTopic.merge(tp.topic(), info.offset(), Long::sum));
    return byTopic;
  }

  /**
   * Waits until the pipeline stops writing (the end offsets of all topics grew by at most
   * {@code tolerance} records over the last second; an idle pipeline writes only a heartbeat now
   * and then), at most {@code limit}; returns the end offsets then.
   */
  static Map<String, Long> awaitSettled(Admin admin, Duration limit, long tolerance) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    List<Long> totals = new ArrayList<>();
    Map<String, Long> now;
    while (true) {
      now = endOffsets(admin);
      totals.add(now.values().stream().mapToLong(Long::longValue).sum());
      if (settled(totals, 2, tolerance)) {
        return now;
      }
      if (System.nanoTime() > deadline) {
        log("   (Kafka still written to after %d s: %d records in the last second; taking the offsets as they are)", limit.toSeconds(),
            totals.size() < 3 ? -1 : totals.get(totals.size() - 1) - totals.get(totals.size() - 3));
        return now;
      }
      Thread.sleep(500); // measurement poll of an external condition: the pipeline goes idle
    }
  }
}
