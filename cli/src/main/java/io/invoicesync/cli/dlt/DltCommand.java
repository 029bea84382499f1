package io.invoicesync.cli.dlt;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.ReplayHeaders;
import io.invoicesync.schemas.Topics;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code invoice-sync dlt}: operators' tools for dead letters, on any Kafka cluster. */
@Command(name = "dlt", mixinStandardHelpOptions = true,
    description = {"List, inspect and replay dead letters. Reads invoice-sync's, Kafka Connect's (__connect.errors.*) and",
        "Spring Kafka's (kafka_dlt-*) header conventions."},
    subcommands = {DltCommand.ListCommand.class, DltCommand.ShowCommand.class, DltCommand.ReplayCommand.class})
public final class DltCommand {

  /** Options every dlt command shares. */
  static final class Selection {
    @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--topic", description = "Dead-letter topic(s) to read (default: invoices.synced.dlt and invoices.captured.dlt).")
    List<String> topics = new ArrayList<>(List.of(Topics.SYNCED_DLT.name(), Topics.CAPTURED_DLT.name()));

    @Option(names = "--since", description = "Only dead letters since TIME: an ISO instant (2026-11-25T08:00:00Z) or an age (30m, 2h, 7d).")
    String since;

    @Option(names = "--error", description = "Only dead letters whose exception class, or the class of its root cause, contains CLASS.")
    String error;

    @Option(names = "--key", description = "Only dead letters with this key (invoice id).")
    String key;

    DeadLetterReader.Filter filter() {
      return new DeadLetterReader.Filter(parseSince(since), error, key);
    }
  }

  static Instant parseSince(String since) {
    if (since == null) {
      return null;
    }
    try {
      return Instant.parse(since);
    } catch (DateTimeParseException e) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([smhd])").matcher(since.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("--since '" + since + "' is neither an ISO instant (2026-11-25T08:00:00Z) nor an age like 30m, 2h, 7d");
      }
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return Instant.now().minus(d);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "A table of dead letters with their reason.",
      footer = {"", "Examples:", "  invoice-sync dlt list --bootstrap localhost:9092",
          "  invoice-sync dlt list --bootstrap kafka:9092 --since 2h --error PSQLException",
          "  invoice-sync dlt list --bootstrap kafka:9092 --topic connect-dlq --key inv-42"})
  static final class ListCommand implements Callable<Integer> {
    @Mixin
    Selection sel;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (DeadLetterReader reader = new DeadLetterReader(sel.bootstrap)) {
        List<DeadLetter> all = reader.read(sel.topics, sel.filter());
        out.printf("%-32s %-22s %-13s %-36s %s%n", "DEAD LETTER", "KEY", "CONVENTION", "FROM", "REASON");
        for (DeadLetter d : all) {
          String from = d.originalTopic() == null ? "?" : d.originalTopic() + ":" + d.originalPartition() + ":" + d.originalOffset();
          String cls = d.causeClass() != null ? d.causeClass() : d.exceptionClass();
          String reason = (cls == null ? "?" : cls.substring(cls.lastIndexOf('.') + 1)) + ": " + oneLine(d.exceptionMessage(), 100);
          out.printf("%-32s %-22s %-13s %-36s %s%n", d.coordinates(), d.key(), d.convention(), from, reason);
        }
        out.printf("%d dead letter%s%n", all.size(), all.size() == 1 ? "" : "s");
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One dead letter: all headers and the decoded payload.",
      footer = {"", "Example:", "  invoice-sync dlt show --bootstrap localhost:9092 invoices.synced.dlt:0:17"})
  static final class ShowCommand implements Callable<Integer> {
    @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers.")
    String bootstrap;
    @Parameters(index = "0", paramLabel = "TOPIC:PARTITION:OFFSET")
    String coordinates;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      String[] parts = coordinates.split(":");
      if (parts.length != 3) {
        throw new IllegalArgumentException("'" + coordinates + "' is not TOPIC:PARTITION:OFFSET");
      }
      PrintWriter out = spec.commandLine().getOut();
      try (DeadLetterReader reader = new DeadLetterReader(bootstrap)) {
        DeadLetter d = reader.readOne(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
        out.println("dead letter   " + d.coordinates() + "  (" + d.convention() + " convention)");
        out.println("key           " + d.key());
        out.println("original      " + d.originalTopic() + ":" + d.originalPartition() + ":" + d.originalOffset());
        out.println("failed        " + d.time() + (d.attempts() == null ? "" : " after " + d.attempts() + " attempt(s)") + (d.stage() == null ? "" : " in " + d.stage()));
        out.println("reason        " + d.exceptionClass() + ": " + d.exceptionMessage());
        if (d.causeClass() != null && !d.causeClass().equals(d.exceptionClass())) {
          out.println("root cause    " + d.causeClass());
        }
        out.println("headers");
        for (Header h : d.record().headers()) {
          String v = DeadLetter.display(h);
          out.println("  " + h.key() + " = " + (h.key().endsWith("stacktrace") ? "\n    " + v.replace("\n", "\n    ") : v));
        }
        out.println("payload (" + (d.record().value() == null ? 0 : d.record().value().length) + " bytes)");
        out.println("  " + decode(d));
      }
      out.flush();
      return 0;
    }
  }

  /** The payload as the contract reads it, or as text/hex when it does not decode (which is often why it is here). */
  static String decode(DeadLetter d) {
    byte[] v = d.record().value();
    if (v == null) {
      return "null";
    }
    SerdeFactory serdes = SerdeFactory.registryLess();
    String from = d.originalTopic() == null ? "" : d.originalTopic();
    try {
      if (from.startsWith(Topics.CAPTURED.name())) {
        return serdes.valueSerde(InvoiceChange.class).deserializer().deserialize(from, v).toString();
      }
      return serdes.valueSerde(InvoiceState.class).deserializer().deserialize(from, v).toString();
    } catch (RuntimeException e) {
      return "(does not decode as the contract: " + oneLine(e.getMessage(), 120) + ")\n  " + DeadLetter.printable(v);
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = {"Send the chosen dead letters back to their original topic, with replay headers. A record replayed",
          "--max-replays times already is refused (loop guard). Every replay run is recorded on invoice-sync.replays."},
      footer = {"", "Examples:", "  invoice-sync dlt replay --bootstrap localhost:9092 --key inv-42 --dry-run",
          "  invoice-sync dlt replay --bootstrap kafka:9092 --error PSQLException --since 1d --rate 50"})
  static final class ReplayCommand implements Callable<Integer> {
    static final String REPLAY_COUNT = ReplayHeaders.COUNT;
    static final String REPLAY_SOURCE = ReplayHeaders.SOURCE;
    static final String REPLAY_BY = ReplayHeaders.BY;
    static final String REPLAY_AT = ReplayHeaders.AT;
    static final String REPLAY_RUN = ReplayHeaders.RUN;

    @Mixin
    Selection sel;
    @Option(names = "--dry-run", description = "Show what would be replayed; send nothing.")
    boolean dryRun;
    @Option(names = "--rate", defaultValue = "0", description = "Records per second; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;
    @Option(names = "--max-replays", defaultValue = "3", description = "Refuse records already replayed this many times (default: ${DEFAULT-VALUE}).")
    int maxReplays;
    @Option(names = "--audit-topic", defaultValue = Topics.REPLAYS_NAME, description = "Where replay runs are recorded (default: ${DEFAULT-VALUE}).")
    String auditTopic;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<DeadLetter> chosen;
      Map<String, Integer> replayedBefore;
      try (DeadLetterReader reader = new DeadLetterReader(sel.bootstrap)) {
        chosen = reader.read(sel.topics, sel.filter());
      }
      replayedBefore = priorReplays();
      String run = UUID.randomUUID().toString();
      String by = System.getProperty("user.name", "unknown");
      Instant at = Instant.now();
      List<Map<String, Object>> done = new ArrayList<>();
      int refused = 0;
      int noOrigin = 0;
      long t0 = System.nanoTime();
      long lastProgress = t0;
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", sel.bootstrap, "acks", "all",
          "enable.idempotence", true), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < chosen.size(); i++) {
          DeadLetter d = chosen.get(i);
          int before = replayedBefore.getOrDefault(d.coordinates(), 0);
          if (d.originalTopic() == null) {
            noOrigin++;
            out.println("skipped " + d.coordinates() + ": no original topic in its headers");
            continue;
          }
          if (before >= maxReplays) {
            refused++;
            out.println("refused " + d.coordinates() + ": replayed " + before + " times already (--max-replays " + maxReplays + ")");
            continue;
          }
          if (!dryRun) {
            if (rate > 0) {
              long due = t0 + (long) (done.size() / rate * 1e9);
              long wait = due - System.nanoTime();
              if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // --rate pacing
              }
            }
            Headers h = replayHeaders(d, before + 1, run, by, at);
            producer.send(new ProducerRecord<>(d.originalTopic(), null, d.record().key(), d.record().value(), h)).get();
          }
          Map<String, Object> rec = new LinkedHashMap<>();
          rec.put("deadLetter", d.coordinates());
          rec.put("key", d.key());
          rec.put("to", d.originalTopic());
          rec.put("replay", before + 1);
          done.add(rec);
          out.println((dryRun ? "would replay " : "replayed ") + d.coordinates() + " (key " + d.key() + ") -> " + d.originalTopic());
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
      return 0;
    }

    /** The original record's own headers (error headers of all conventions removed), plus replay provenance. */
    static Headers replayHeaders(DeadLetter d, int count, String run, String by, Instant at) {
      Headers h = new RecordHeaders();
      for (Header header : d.record().headers()) {
        String k = header.key();
        if (!k.startsWith("invoicesync.dlt.") && !k.startsWith("invoicesync.retry.") && !k.startsWith("invoicesync.replay.")
            && !k.startsWith("__connect.errors.") && !k.startsWith("kafka_dlt-")) {
          h.add(header);
        }
      }
      h.add(REPLAY_COUNT, Integer.toString(count).getBytes(StandardCharsets.UTF_8));
      h.add(REPLAY_SOURCE, d.coordinates().getBytes(StandardCharsets.UTF_8));
      h.add(REPLAY_BY, by.getBytes(StandardCharsets.UTF_8));
      h.add(REPLAY_AT, at.toString().getBytes(StandardCharsets.UTF_8));
      h.add(REPLAY_RUN, run.getBytes(StandardCharsets.UTF_8));
      return h;
    }

    /** How often each dead letter was replayed before, from the audit topic (absent topic = never). */
    private Map<String, Integer> priorReplays() {
      Map<String, Integer> counts = new HashMap<>();
      try (DeadLetterReader reader = new DeadLetterReader(sel.bootstrap)) {
        ObjectMapper json = new ObjectMapper();
        for (DeadLetter run : reader.read(List.of(auditTopic), d -> true)) {
          var records = json.readTree(run.record().value()).path("records");
          records.forEach(r -> counts.merge(r.path("deadLetter").asText(), 1, Integer::sum));
        }
      } catch (IllegalArgumentException noTopicYet) {
        return counts;
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot read the replay audit topic " + auditTopic + ": " + e.getMessage(), e);
      }
      return counts;
    }
  }

  static String oneLine(String s, int max) {
    if (s == null) {
      return "";
    }
    String one = s.replace('\n', ' ');
    return one.length() <= max ? one : one.substring(0, max - 1) + "…";
  }
}
