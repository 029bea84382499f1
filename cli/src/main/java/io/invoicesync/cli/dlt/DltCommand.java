package io.invoicesync.cli.dlt;

import io.invoicesync.runtime.dlt.DeadLetter;
import io.invoicesync.runtime.dlt.DeadLetterReader;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.cli.internal.KafkaConnection;
import io.invoicesync.cli.internal.OutputOption;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.header.Header;
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
    subcommands = {DltCommand.ListCommand.class, DltCommand.ShowCommand.class, ReplayCommand.class})
public final class DltCommand {

  /** Options every dlt command shares. */
  static final class Selection {
    @Mixin
    KafkaConnection kafka = new KafkaConnection();

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
    return since == null ? null : io.invoicesync.cli.internal.Times.instantOrAge("--since", since);
  }


  @Command(name = "list", mixinStandardHelpOptions = true, description = "A table of dead letters with their reason.",
      footer = {"", "Examples:", "  invoice-sync dlt list --bootstrap localhost:9092",
          "  invoice-sync dlt list --bootstrap kafka:9092 --since 2h --error PSQLException",
          "  invoice-sync dlt list --bootstrap kafka:9092 --topic connect-dlq --key inv-42"})
  static final class ListCommand implements Callable<Integer> {
    @Mixin
    Selection sel;
    @Mixin
    OutputOption output;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      try (DeadLetterReader reader = new DeadLetterReader(sel.kafka.clientConfig())) {
        List<DeadLetter> all = reader.read(sel.topics, sel.filter());
        if (output.json()) {
          List<Map<String, Object>> rows = new ArrayList<>();
          all.forEach(d -> rows.add(summary(d)));
          out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
          out.flush();
          return 0;
        }
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
    @Mixin
    KafkaConnection kafka;
    @Option(names = "--registry", description = "Apicurio Registry URL the pipeline runs with, to decode the payload through it "
        + "(default: the built-in schema catalog, as a registry-less pipeline writes).")
    String registry;
    @Mixin
    OutputOption output;
    @Parameters(index = "0", paramLabel = "TOPIC:PARTITION:OFFSET")
    String coordinates;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      String[] parts = coordinates.split(":");
      if (parts.length != 3) {
        throw new IllegalArgumentException("'" + coordinates + "' is not TOPIC:PARTITION:OFFSET");
      }
      PrintWriter out = spec.commandLine().getOut();
      try (DeadLetterReader reader = new DeadLetterReader(kafka.clientConfig())) {
        DeadLetter d = reader.readOne(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
        Map<String, String> options = kafka.runConfig() == null ? Map.of() : kafka.runConfig().values();
        if ((registry == null || registry.isBlank()) && options.get("schema.registry.url") != null) {
          registry = options.get("schema.registry.url"); // the run configuration's registry, as audit does
        }
        SerdeFactory serdes = registry == null || registry.isBlank() ? SerdeFactory.registryLess() : SerdeFactory.of(registry, options);
        if (output.json()) {
          Map<String, Object> m = summary(d);
          Map<String, String> headers = new LinkedHashMap<>();
          for (Header h : d.record().headers()) {
            headers.put(h.key(), DeadLetter.display(h));
          }
          m.put("headers", headers);
          m.put("payloadBytes", d.record().value() == null ? 0 : d.record().value().length);
          m.put("payload", decode(d, serdes));
          out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
          out.flush();
          return 0;
        }
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
        out.println("  " + decode(d, serdes));
      }
      out.flush();
      return 0;
    }
  }

  /** How list and show print. */
  static final ObjectMapper JSON = new ObjectMapper();

  /** One dead letter's provenance, for {@code --output json}. */
  static Map<String, Object> summary(DeadLetter d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("deadLetter", d.coordinates());
    m.put("key", d.key());
    m.put("convention", d.convention());
    m.put("originalTopic", d.originalTopic());
    m.put("originalPartition", d.originalPartition());
    m.put("originalOffset", d.originalOffset());
    m.put("stage", d.stage());
    m.put("attempts", d.attempts());
    m.put("failedAt", d.time().toString());
    m.put("exceptionClass", d.exceptionClass());
    m.put("causeClass", d.causeClass());
    m.put("message", d.exceptionMessage());
    m.put("replayCount", d.replayCount());
    return m;
  }

  /** The payload as the contract reads it, or as text/hex when it does not decode (which is often why it is here). */
  static String decode(DeadLetter d, SerdeFactory serdes) {
    byte[] v = d.record().value();
    if (v == null) {
      return "null";
    }
    String from = d.originalTopic() == null ? "" : d.originalTopic();
    try {
      if (from.startsWith(Topics.CAPTURED.name())) {
        return serdes.valueSerde(InvoiceChange.class).deserializer().deserialize(from, d.record().headers(), v).toString();
      }
      return serdes.valueSerde(InvoiceState.class).deserializer().deserialize(from, d.record().headers(), v).toString();
    } catch (RuntimeException e) {
      return "(does not decode as the contract: " + oneLine(e.getMessage(), 120) + ")\n  " + DeadLetter.printable(v);
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
