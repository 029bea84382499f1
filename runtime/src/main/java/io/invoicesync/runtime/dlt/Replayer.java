package io.invoicesync.runtime.dlt;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.ReplayHeaders;
import io.invoicesync.schemas.RetryHeaders;
import io.invoicesync.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends chosen dead letters back into the pipeline, with replay provenance: the one way to replay,
 * for {@code invoice-sync dlt replay} and the console's operations page. Where a record goes depends
 * on where it failed: a projector dead letter (a valid state the store could not take) goes to the
 * projector's retry topic, due at once, so only the projector sees it again and the ERP-facing
 * {@code invoices.synced} never carries a state twice; anything else goes back to its original topic.
 *
 * <p>The loop guard counts replays of the <i>record</i>: the replay-count header travels with it,
 * through a second failure, onto the dead-letter topic again; so a record that keeps failing is
 * refused after {@code maxReplays}, whichever dead-letter coordinates it has now. Replay runs
 * recorded on {@code invoice-sync.replays} count too (for dead letters replayed by older versions).
 */
public final class Replayer {

  /**
   * @param dryRun     decide and report, send nothing
   * @param rate       records per second, 0 = as fast as possible
   * @param maxReplays refuse a record replayed this many times already
   * @param by         who replays (recorded with the run)
   */
  public record Options(boolean dryRun, double rate, int maxReplays, String retryTopic, String auditTopic, String by) {

    public static Options defaults(String by) {
      return new Options(false, 0, 3, Topics.SYNCED_RETRY.name(), Topics.REPLAYS_NAME, by);
    }

    public Options dryRun(boolean d) {
      return new Options(d, rate, maxReplays, retryTopic, auditTopic, by);
    }
  }

  /** What became of one chosen dead letter. */
  public enum Decision { REPLAYED, WOULD_REPLAY, REFUSED, SKIPPED }

  /** One chosen dead letter: its coordinates and key, where it goes, the replay count it gets, and why it was refused or skipped. */
  public record Item(String deadLetter, String key, String to, int replay, Decision decision, String reason) {

    /** As the CLI prints it. */
    public String line(int maxReplays) {
      return switch (decision) {
        case SKIPPED -> "skipped " + deadLetter + ": " + reason;
        case REFUSED -> "refused " + deadLetter + " (key " + key + "): replayed " + (replay - 1) + " times already and failed again"
            + " (--max-replays " + maxReplays + "); fix the cause, or raise --max-replays";
        case WOULD_REPLAY -> "would replay " + deadLetter + " (key " + key + ") -> " + to;
        case REPLAYED -> "replayed " + deadLetter + " (key " + key + ") -> " + to;
      };
    }
  }

  /** A run: its id (on the replays topic), and every chosen dead letter's item in order. */
  public record Report(String run, boolean dryRun, List<Item> items) {

    public long count(Decision d) {
      return items.stream().filter(i -> i.decision() == d).count();
    }

    /** "replayed 2, refused 0 (loop guard), skipped 0 (no original topic), of 2 chosen". */
    public String summary() {
      return String.format("%s %d, refused %d (loop guard), skipped %d (no original topic), of %d chosen", dryRun ? "would replay" : "replayed",
          count(dryRun ? Decision.WOULD_REPLAY : Decision.REPLAYED), count(Decision.REFUSED), count(Decision.SKIPPED), items.size());
    }
  }

  private final Map<String, Object> clientConfig;

  /** @param clientConfig bootstrap.servers and the cluster's client settings (security) */
  public Replayer(Map<String, Object> clientConfig) {
    this.clientConfig = Map.copyOf(clientConfig);
  }

  /** The dead letters of {@code topics} that {@code filter} chooses, oldest first per partition. */
  public List<DeadLetter> choose(List<String> topics, Predicate<DeadLetter> filter) {
    try (DeadLetterReader reader = new DeadLetterReader(clientConfig)) {
      return reader.read(topics, filter);
    }
  }

  /**
   * Replays {@code chosen} (or, with {@link Options#dryRun}, decides only); {@code filters} (how they
   * were chosen) is recorded with the run; {@code onItem} sees each item as it is decided,
   * {@code progress} a line a second on long runs.
   */
  public Report replay(List<DeadLetter> chosen, Options o, Map<String, ?> filters, Consumer<Item> onItem, Consumer<String> progress)
      throws Exception {
    Map<String, Integer> recordedRuns = priorReplays(o.auditTopic());
    String run = UUID.randomUUID().toString();
    Instant at = Instant.now();
    List<Item> items = new ArrayList<>();
    List<Map<String, Object>> done = new ArrayList<>();
    long t0 = System.nanoTime();
    long lastProgress = t0;
    Map<String, Object> producerConfig = new HashMap<>(clientConfig);
    producerConfig.put("acks", "all");
    producerConfig.put("enable.idempotence", true);
    producerConfig.put("max.request.size", Topics.MAX_RECORD_BYTES); // a dead letter of an invoice with many lines
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < chosen.size(); i++) {
        DeadLetter d = chosen.get(i);
        int before = Math.max(d.replayCount(), recordedRuns.getOrDefault(d.coordinates(), 0));
        Item item;
        if (d.originalTopic() == null) {
          item = new Item(d.coordinates(), d.key(), null, before, Decision.SKIPPED, "no original topic in its headers");
        } else if (before >= o.maxReplays()) {
          item = new Item(d.coordinates(), d.key(), null, before + 1, Decision.REFUSED, "replayed " + before + " times already");
        } else {
          String to = d.fromProjector() ? o.retryTopic() : d.originalTopic();
          if (!o.dryRun()) {
            if (o.rate() > 0) {
              long due = t0 + (long) (done.size() / o.rate() * 1e9);
              long wait = due - System.nanoTime();
              if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // pacing at the asked rate
              }
            }
            Headers h = replayHeaders(d, before + 1, run, o.by(), at);
            if (d.fromProjector()) {
              // on the retry topic as a record that has not failed there yet and is due at once
              h.add(RetryHeaders.ATTEMPT, "0".getBytes(StandardCharsets.UTF_8));
              h.add(RetryHeaders.DUE, "0".getBytes(StandardCharsets.UTF_8));
            }
            producer.send(new ProducerRecord<>(to, null, d.record().key(), d.record().value(), h)).get();
          }
          item = new Item(d.coordinates(), d.key(), to, before + 1, o.dryRun() ? Decision.WOULD_REPLAY : Decision.REPLAYED, null);
          Map<String, Object> rec = new LinkedHashMap<>();
          rec.put("deadLetter", d.coordinates());
          rec.put("key", d.key());
          rec.put("to", to);
          rec.put("replay", before + 1);
          done.add(rec);
        }
        items.add(item);
        onItem.accept(item);
        if (System.nanoTime() - lastProgress > 1_000_000_000L) {
          lastProgress = System.nanoTime();
          progress.accept(String.format("... %d/%d", i + 1, chosen.size()));
        }
      }
      if (!o.dryRun() && !done.isEmpty()) {
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("run", run);
        audit.put("by", o.by());
        audit.put("at", at.toString());
        audit.put("filters", filters);
        audit.put("records", done);
        producer.send(new ProducerRecord<>(o.auditTopic(), run.getBytes(StandardCharsets.UTF_8),
            new ObjectMapper().writeValueAsBytes(audit))).get();
      }
    }
    return new Report(run, o.dryRun(), List.copyOf(items));
  }

  /** The original record's own headers (error, retry and replay headers of all conventions removed), plus replay provenance. */
  static Headers replayHeaders(DeadLetter d, int count, String run, String by, Instant at) {
    Headers h = new RecordHeaders();
    for (Header header : d.record().headers()) {
      String k = header.key();
      if (!k.startsWith("invoicesync.dlt.") && !k.startsWith("invoicesync.retry.") && !k.startsWith("invoicesync.replay.")
          && !k.startsWith("__connect.errors.") && !k.startsWith("kafka_dlt-")) {
        h.add(header);
      }
    }
    h.add(ReplayHeaders.COUNT, Integer.toString(count).getBytes(StandardCharsets.UTF_8));
    h.add(ReplayHeaders.SOURCE, d.coordinates().getBytes(StandardCharsets.UTF_8));
    h.add(ReplayHeaders.BY, by.getBytes(StandardCharsets.UTF_8));
    h.add(ReplayHeaders.AT, at.toString().getBytes(StandardCharsets.UTF_8));
    h.add(ReplayHeaders.RUN, run.getBytes(StandardCharsets.UTF_8));
    return h;
  }

  /** How often each dead letter (by its coordinates) was replayed in recorded runs (absent topic = never). */
  private Map<String, Integer> priorReplays(String auditTopic) {
    Map<String, Integer> counts = new HashMap<>();
    try (DeadLetterReader reader = new DeadLetterReader(clientConfig)) {
      ObjectMapper json = new ObjectMapper();
      for (DeadLetter run : reader.read(List.of(auditTopic), d -> true)) {
        var records = json.readTree(run.record().value()).path("records");
        records.forEach(r -> counts.merge(r.path("deadLetter").asText(), 1, Integer::sum));
      }
    } catch (IllegalArgumentException noTopicYet) {
      return counts;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the replay audit topic " + auditTopic + ": " + e.getMessage(), e);
    }
    return counts;
  }
}
