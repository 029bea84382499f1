package io.invoicesync.cli.dlt;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.ReplayHeaders;
import io.invoicesync.schemas.RetryHeaders;
import io.invoicesync.schemas.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync dlt replay}: sends chosen dead letters back into the pipeline, with replay
 * provenance. Where a record goes depends on where it failed: a projector dead letter (a valid
 * state the store could not take) goes to the projector's retry topic, due at once, so only the
 * projector sees it again; the ERP-facing {@code invoices.synced} never carries a state twice.
 * Anything else goes back to its original topic.
 *
 * <p>The loop guard counts replays of the <i>record</i>: the replay-count header travels with it,
 * through a second failure, onto the dead-letter topic again; so a record that keeps failing is
 * refused after {@code --max-replays}, whichever dead-letter coordinates it has now. Replay runs
 * recorded on {@code invoice-sync.replays} count too (for dead letters replayed by older versions).
 */
@Command(name = "replay", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
    description = {"Send the chosen dead letters back into the pipeline, with replay headers: the projector's to its retry topic,",
        "sync-streams' and foreign ones to their original topic. A record replayed --max-replays times already is refused",
        "(loop guard). Every replay run is recorded on invoice-sync.replays."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every chosen dead letter was replayed (or would be, with --dry-run)",
        "1:some were refused by the loop guard or skipped (no original topic)", "2:the command failed"},
    footer = {"", "Examples:", "  invoice-sync dlt replay --bootstrap localhost:9092 --key inv-42 --dry-run",
        "  invoice-sync dlt replay --bootstrap kafka:9092 --error PSQLException --since 1d --rate 50"})
final class ReplayCommand implements Callable<Integer> {

  @Mixin
  DltCommand.Selection sel;
  @Option(names = "--dry-run", description = "Show what would be replayed; send nothing.")
  boolean dryRun;
  @Option(names = "--rate", defaultValue = "0", description = "Records per second; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
  double rate;
  @Option(names = "--max-replays", defaultValue = "3", description = "Refuse records already replayed this many times (default: ${DEFAULT-VALUE}).")
  int maxReplays;
  @Option(names = "--retry-topic", defaultValue = "invoices.synced.retry",
      description = "Where the projector's dead letters are replayed: its retry topic (default: ${DEFAULT-VALUE}).")
  String retryTopic;
  @Option(names = "--audit-topic", defaultValue = Topics.REPLAYS_NAME, description = "Where replay runs are recorded (default: ${DEFAULT-VALUE}).")
  String auditTopic;
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<DeadLetter> chosen;
    try (DeadLetterReader reader = new DeadLetterReader(sel.kafka.clientConfig())) {
      chosen = reader.read(sel.topics, sel.filter());
    }
    Map<String, Integer> recordedRuns = priorReplays();
    String run = UUID.randomUUID().toString();
    String by = System.getProperty("user.name", "unknown");
    Instant at = Instant.now();
    List<Map<String, Object>> done = new ArrayList<>();
    int refused = 0;
    int noOrigin = 0;
    long t0 = System.nanoTime();
    long lastProgress = t0;
    Map<String, Object> producerConfig = new HashMap<>(sel.kafka.clientConfig());
    producerConfig.put("acks", "all");
    producerConfig.put("enable.idempotence", true);
    producerConfig.put("max.request.size", Topics.MAX_RECORD_BYTES); // a dead letter of an invoice with many lines
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < chosen.size(); i++) {
        DeadLetter d = chosen.get(i);
        int before = Math.max(d.replayCount(), recordedRuns.getOrDefault(d.coordinates(), 0));
        if (d.originalTopic() == null) {
          noOrigin++;
          out.println("skipped " + d.coordinates() + ": no original topic in its headers");
          continue;
        }
        if (before >= maxReplays) {
          refused++;
          out.println("refused " + d.coordinates() + " (key " + d.key() + "): replayed " + before + " times already and failed again"
              + " (--max-replays " + maxReplays + "); fix the cause, or raise --max-replays");
          continue;
        }
        String to = d.fromProjector() ? retryTopic : d.originalTopic();
        if (!dryRun) {
          if (rate > 0) {
            long due = t0 + (long) (done.size() / rate * 1e9);
            long wait = due - System.nanoTime();
            if (wait > 0) {
              Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // --rate pacing
            }
          }
          Headers h = replayHeaders(d, before + 1, run, by, at);
          if (d.fromProjector()) {
            // on the retry topic as a record that has not failed there yet and is due at once
            h.add(RetryHeaders.ATTEMPT, "0".getBytes(StandardCharsets.UTF_8));
            h.add(RetryHeaders.DUE, "0".getBytes(StandardCharsets.UTF_8));
          }
          producer.send(new ProducerRecord<>(to, null, d.record().key(), d.record().value(), h)).get();
        }
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("deadLetter", d.coordinates());
        rec.put("key", d.key());
        rec.put("to", to);
        rec.put("replay", before + 1);
        done.add(rec);
        out.println((dryRun ? "would replay " : "replayed ") + d.coordinates() + " (key " + d.key() + ") -> " + to);
        if (System.nanoTime() - lastProgress > 1_000_000_000L) {
          lastProgress = System.nanoTime();
          err.printf("... %d/%d%n", i + 1, chosen.size());
          err.flush();
        }
      }
      if (!dryRun && !done.isEmpty()) {
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("run", run);
        audit.put("by", by);
        audit.put("at", at.toString());
        audit.put("filters", Map.of("topics", sel.topics, "since", String.valueOf(sel.since), "error", String.valueOf(sel.error),
            "key", String.valueOf(sel.key)));
        audit.put("records", done);
        producer.send(new ProducerRecord<>(auditTopic, run.getBytes(StandardCharsets.UTF_8),
            new ObjectMapper().writeValueAsBytes(audit))).get();
      }
    }
    out.printf("%s %d, refused %d (loop guard), skipped %d (no original topic), of %d chosen%n",
        dryRun ? "would replay" : "replayed", done.size(), refused, noOrigin, chosen.size());
    out.flush();
    return refused + noOrigin == 0 ? 0 : 1;
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
  private Map<String, Integer> priorReplays() {
    Map<String, Integer> counts = new HashMap<>();
    try (DeadLetterReader reader = new DeadLetterReader(sel.kafka.clientConfig())) {
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
