package io.invoicesync.cli.audit;

import io.invoicesync.outcomes.audit.TopicScan;
import io.invoicesync.outcomes.audit.AuditVerifier;
import io.invoicesync.schemas.Stage;
import io.invoicesync.cli.internal.OutputOption;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;
import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SerdeFactory;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync audit}: auditors verify, read and export the hash-chained audit trail, without an engineer.
 *
 * <p>Size: about 400 lines: the three subcommands share one connection set-up and one way of reading
 * a partition's chain; splitting them would repeat both.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = {"Verify, read and export the audit trail (invoices.audit): per-invoice hash chains plus periodic checkpoints.",
        "The hash formula is in sync-streams/README.md, so any tool can recompute it."},
    subcommands = {AuditCommand.VerifyCommand.class, AuditCommand.HistoryCommand.class, AuditCommand.ExportCommand.class})
public final class AuditCommand {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Where the audit trail is. */
  static final class Connection {
    @picocli.CommandLine.Mixin
    io.invoicesync.cli.internal.KafkaConnection kafka = new io.invoicesync.cli.internal.KafkaConnection();

    @Option(names = "--registry", description = "Schema registry URL, when the audit was written with one (default: the configuration's, "
        + "or none: the built-in schema catalog).")
    String registry;

    @Option(names = "--topic", defaultValue = "invoices.audit", description = "The audit topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--no-progress", description = "No progress bar (it is shown only on a terminal anyway).")
    boolean noProgress;

    /** The Kafka client settings; the registry of --config unless --registry names one. */
    Map<String, Object> client() throws java.io.IOException {
      if (kafka.runConfig() != null && registry == null) {
        registry = kafka.runConfig().get("schema.registry.url");
      }
      return kafka.clientConfig();
    }

    /** The registry (and Apicurio's auth/TLS settings of --config) the audit was written with, or the built-in catalog. */
    SerdeFactory serdes() throws java.io.IOException {
      java.util.Map<String, String> options = kafka.runConfig() == null ? java.util.Map.of() : kafka.runConfig().values();
      return SerdeFactory.of(registry == null ? "" : registry, options);
    }

    /** A progress bar on the terminal for a scan of {@code total} records, or nothing. */
    ProgressBar progress(String task, long total) {
      if (noProgress || System.console() == null || total < 10_000) {
        return null;
      }
      return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
          .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).setUnit(" records", 1).build();
    }
  }

  static LongConsumer step(ProgressBar bar) {
    return n -> {
      if (bar != null) {
        bar.stepBy(n);
      }
    };
  }

  /** An ISO instant, or a date (start of that day, UTC). */
  static Instant time(String option, String v) {
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      try {
        return LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(option + " '" + v + "' is neither an ISO instant (2026-11-25T08:00:00Z) nor a date (2026-11-25)");
      }
    }
  }

  @Command(name = "verify", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
      description = {"Recompute every hash of invoices.audit (read_committed), check every link, and compare each task's latest",
          "checkpoint with the chain heads the topic gives. Reports each broken, missing or reordered link by invoice and offset.",
          "Exit 0 clean, 1 broken, 2 unreadable (no such topic, no broker)."},
      footer = {"", "Examples:", "  invoice-sync audit verify --bootstrap localhost:9092",
          "  invoice-sync audit verify --config prod.properties --invoice inv-42 --output json",
          "  invoice-sync audit verify --bootstrap kafka:9092 --from 2026-11-01 --to 2026-12-01 --all-checkpoints"})
  static final class VerifyCommand implements Callable<Integer> {
    @Mixin
    Connection conn;
    @Option(names = "--invoice", description = "Report only this invoice's chain.")
    String invoice;
    @Option(names = "--from", description = "Report only entries recorded at or after TIME (ISO instant or date).")
    String from;
    @Option(names = "--to", description = "Report only entries recorded before TIME (ISO instant or date).")
    String to;
    @Option(names = "--checkpoint-topic", defaultValue = "invoices.audit.checkpoints", description = "Checkpoints (default: ${DEFAULT-VALUE}).")
    String checkpointTopic;
    @Option(names = "--all-checkpoints", description = "Check every checkpoint, not only each task's latest.")
    boolean allCheckpoints;
    @Mixin
    OutputOption output;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      AuditVerifier verifier;
      try {
        verifier = new AuditVerifier(invoice, time("--from", from), time("--to", to));
        Map<String, Object> client = conn.client();
        Deserializer<AuditEntry> entries = conn.serdes().valueSerde(AuditEntry.class).deserializer();
        Deserializer<AuditCheckpoint> checkpoints = conn.serdes().valueSerde(AuditCheckpoint.class).deserializer();
        try (TopicScan scan = new TopicScan(client)) {
          // checkpoints first: every entry a checkpoint read now covers was committed before it, so it is below the audit
          // topic's end read afterwards (the other order could see a checkpoint whose entries the scan stopped short of)
          List<TopicPartition> cps = List.of();
          if (invoice == null) { // one invoice's chain is checked link by link; checkpoints commit to whole tasks
            try {
              cps = scan.partitions(checkpointTopic);
            } catch (IllegalArgumentException noCheckpoints) {
              err.println("audit verify: no checkpoint topic " + checkpointTopic + ": a deleted chain or a truncated topic cannot be detected");
            }
          }
          if (!cps.isEmpty()) {
            scan.scan(cps, r -> {
              try {
                verifier.acceptCheckpoint(checkpoints.deserialize(r.topic(), r.headers(), r.value()), r.partition(), r.offset());
              } catch (RuntimeException e) {
                verifier.acceptUndecodable(r.key(), r.partition(), r.offset(), "checkpoint record: " + e.getMessage());
              }
            }, n -> { });
          }
          List<TopicPartition> partitions = scan.partitions(conn.topic);
          if (invoice != null) { // only the invoice's own partition: the audit topic is keyed by invoice id with the default partitioner
            partitions = List.of(partitions.get(AuditChain.partitionOf(invoice, partitions.size())));
          }
          try (ProgressBar bar = conn.progress("verify", scan.size(partitions))) {
            scan.scan(partitions, r -> {
              try {
                verifier.accept(r.partition(), r.offset(), entries.deserialize(r.topic(), r.headers(), r.value()));
              } catch (RuntimeException e) {
                verifier.acceptUndecodable(r.key(), r.partition(), r.offset(), "audit entry: " + e.getMessage());
              }
            }, step(bar));
          }
        }
      } catch (Exception e) {
        err.println("audit verify: cannot read the audit trail: " + e.getMessage());
        err.flush();
        return 2;
      }
      List<AuditVerifier.Problem> problems = verifier.finish(allCheckpoints);
      if (output.json()) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("topic", conn.topic);
        body.put("entries", verifier.entries());
        body.put("invoices", verifier.invoices());
        body.put("checkpoints", verifier.checkpoints());
        body.put("verified", problems.isEmpty());
        body.put("problems", problems);
        out.println(JSON.writeValueAsString(body));
      } else {
        if (!problems.isEmpty()) {
          out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, problems, List.of(
              new Column().header("invoice").dataAlign(HorizontalAlign.LEFT).with(p -> p.invoiceId() == null ? "-" : p.invoiceId()),
              new Column().header("partition").with(p -> Integer.toString(p.partition())),
              new Column().header("offset").with(p -> Long.toString(p.offset())),
              new Column().header("problem").dataAlign(HorizontalAlign.LEFT).with(AuditVerifier.Problem::kind),
              new Column().header("detail").dataAlign(HorizontalAlign.LEFT).maxWidth(90).with(AuditVerifier.Problem::message))));
        }
        out.printf("%s: %d entries of %d invoices, %d checkpoints: %s%n", conn.topic, verifier.entries(), verifier.invoices(),
            verifier.checkpoints(), problems.isEmpty() ? "verified" : problems.size() + " problem" + (problems.size() == 1 ? "" : "s"));
      }
      out.flush();
      return problems.isEmpty() ? 0 : 1;
    }
  }

  @Command(name = "history", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
      description = {"One invoice's audit chain from the topic, every entry's hash and link checked.",
          "Exit 0 when the chain verifies, 1 when it does not or is empty, 2 when the topic cannot be read."},
      footer = {"", "Example:", "  invoice-sync audit history hand-1 --bootstrap localhost:9092"})
  static final class HistoryCommand implements Callable<Integer> {
    @Mixin
    Connection conn;
    @Parameters(paramLabel = "ID", description = "The invoice id.")
    String id;
    @Mixin
    OutputOption output;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      List<Map<String, Object>> rows = new ArrayList<>();
      AuditVerifier verifier = new AuditVerifier(id, null, null);
      try (TopicScan scan = new TopicScan(conn.client())) {
        Deserializer<AuditEntry> entries = conn.serdes().valueSerde(AuditEntry.class).deserializer();
        List<TopicPartition> all = scan.partitions(conn.topic);
        // only the invoice's own partition: the audit topic is keyed by invoice id with the default partitioner
        List<TopicPartition> mine = List.of(all.get(AuditChain.partitionOf(id, all.size())));
        scan.scan(mine, r -> {
          if (id.equals(r.key())) {
            AuditEntry e = entries.deserialize(r.topic(), r.headers(), r.value());
            verifier.accept(r.partition(), r.offset(), e);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("offset", r.offset());
            m.put("recordedAt", e.getRecordedAt().toString());
            m.put("stage", Stage.idOf(e));
            m.put("event", e.getEvent());
            m.put("version", e.getVersion());
            m.put("sourceLsn", e.getSource().getLsn());
            m.put("detail", e.getDetail());
            m.put("hash", e.getHash());
            m.put("prevHash", e.getPrevHash());
            m.put("hashOk", AuditChain.hash(e).equals(e.getHash()));
            rows.add(m);
          }
        }, n -> { });
      } catch (Exception e) {
        spec.commandLine().getErr().println("audit history: cannot read the audit trail: " + e.getMessage());
        return 2;
      }
      List<AuditVerifier.Problem> problems = verifier.finish(false);
      if (output.json()) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("invoiceId", id);
        body.put("verified", !rows.isEmpty() && problems.isEmpty());
        body.put("problems", problems);
        body.put("entries", rows);
        out.println(JSON.writeValueAsString(body));
      } else {
        out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, rows, List.of(
            new Column().header("offset").with(m -> String.valueOf(m.get("offset"))),
            new Column().header("recorded").with(m -> String.valueOf(m.get("recordedAt"))),
            new Column().header("stage").dataAlign(HorizontalAlign.LEFT).with(m -> String.valueOf(m.get("stage"))),
            new Column().header("event").dataAlign(HorizontalAlign.LEFT).with(m -> String.valueOf(m.get("event"))),
            new Column().header("v").with(m -> m.get("version") == null ? "" : m.get("version").toString()),
            new Column().header("detail").dataAlign(HorizontalAlign.LEFT).maxWidth(60).with(m -> m.get("detail") == null ? "" : m.get("detail").toString()),
            new Column().header("hash").with(m -> ((String) m.get("hash")).substring(0, 12) + ((Boolean) m.get("hashOk") ? "" : " ALTERED")))));
        problems.forEach(p -> out.println(p.kind() + " at offset " + p.offset() + ": " + p.message()));
        out.println(rows.isEmpty() ? "no audit entry for " + id : problems.isEmpty() ? "chain verified" : "chain BROKEN");
      }
      out.flush();
      return !rows.isEmpty() && problems.isEmpty() ? 0 : 1;
    }
  }

  @Command(name = "export", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
      description = {"Export audit entries recorded in [--from, --to) as JSON lines or CSV, every field the hash covers included,",
          "so the chain can be re-verified from the file alone."},
      footer = {"", "Example:", "  invoice-sync audit export --bootstrap localhost:9092 --from 2026-11-01 --to 2026-12-01 --seller 91440300MA5ETUPW89 --format csv --out nov.csv"})
  static final class ExportCommand implements Callable<Integer> {
    @Mixin
    Connection conn;
    @Option(names = "--from", required = true, description = "Entries recorded at or after TIME (ISO instant or date).")
    String from;
    @Option(names = "--to", required = true, description = "Entries recorded before TIME (ISO instant or date).")
    String to;
    @Option(names = "--seller", description = "Only invoices of this seller taxpayer id.")
    String seller;
    @Option(names = "--format", defaultValue = "jsonl", description = "jsonl or csv (default: ${DEFAULT-VALUE}).")
    String format;
    @Option(names = "--out", required = true, description = "The file to write.")
    Path outFile;
    @Spec
    CommandSpec spec;

    static final List<String> FIELDS = List.of("invoiceId", "event", "version", "sourceLsn", "sourceCommitTs", "digest", "detail", "prevHash",
        "hash", "recordedAt", "stage", "capturedAt", "decidedAt", "invoiceCode", "invoiceNumber", "sellerTaxId", "partition", "offset");

    @Override
    public Integer call() throws Exception {
      if (!format.equals("jsonl") && !format.equals("csv")) {
        spec.commandLine().getErr().println("audit export: --format must be jsonl or csv, not " + format);
        return 2;
      }
      Instant f = time("--from", from);
      Instant t = time("--to", to);
      long[] written = {0};
      ObjectMapper line = new ObjectMapper();
      try (BufferedWriter w = Files.newBufferedWriter(outFile, StandardCharsets.UTF_8); TopicScan scan = new TopicScan(conn.client())) {
        if (format.equals("csv")) {
          w.write(String.join(",", FIELDS));
          w.newLine();
        }
        Deserializer<AuditEntry> entries = conn.serdes().valueSerde(AuditEntry.class).deserializer();
        List<TopicPartition> partitions = scan.partitions(conn.topic);
        // by seller: every entry of each invoice whose chain ever names that seller (entries from before AuditEntry v2,
        // and reports about an invoice that never synced, carry no seller; dropping them would leave holes in the chains)
        java.util.Set<String> sellersInvoices = new java.util.HashSet<>();
        if (seller != null) {
          scan.scan(partitions, r -> {
            AuditEntry e = entries.deserialize(r.topic(), r.headers(), r.value());
            if (seller.equals(e.getSellerTaxId())) {
              sellersInvoices.add(e.getInvoiceId());
            }
          }, n -> { });
        }
        try (ProgressBar bar = conn.progress("export", scan.size(partitions))) {
          scan.scan(partitions, r -> {
            AuditEntry e = entries.deserialize(r.topic(), r.headers(), r.value());
            if (e.getRecordedAt().isBefore(f) || !e.getRecordedAt().isBefore(t) || (seller != null && !sellersInvoices.contains(e.getInvoiceId()))) {
              return;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("invoiceId", e.getInvoiceId());
            m.put("event", e.getEvent());
            m.put("version", e.getVersion());
            m.put("sourceLsn", e.getSource().getLsn());
            m.put("sourceCommitTs", e.getSource().getCommitTs().toEpochMilli());
            m.put("digest", e.getDigest());
            m.put("detail", e.getDetail());
            m.put("prevHash", e.getPrevHash());
            m.put("hash", e.getHash());
            m.put("recordedAt", e.getRecordedAt().toEpochMilli());
            m.put("stage", e.getStage());
            m.put("capturedAt", e.getCapturedAt() == null ? null : e.getCapturedAt().toEpochMilli());
            m.put("decidedAt", e.getDecidedAt() == null ? null : e.getDecidedAt().toEpochMilli());
            m.put("invoiceCode", e.getInvoiceCode());
            m.put("invoiceNumber", e.getInvoiceNumber());
            m.put("sellerTaxId", e.getSellerTaxId());
            m.put("partition", r.partition());
            m.put("offset", r.offset());
            try {
              if (format.equals("jsonl")) {
                w.write(line.writeValueAsString(m));
              } else {
                List<String> cells = new ArrayList<>();
                for (String k : FIELDS) {
                  cells.add(csv(m.get(k)));
                }
                w.write(String.join(",", cells));
              }
              w.newLine();
            } catch (java.io.IOException io) {
              throw new java.io.UncheckedIOException(io);
            }
            written[0]++;
          }, step(bar));
        }
      } catch (Exception e) {
        spec.commandLine().getErr().println("audit export: " + e.getMessage());
        return 2;
      }
      spec.commandLine().getOut().println(written[0] + " audit entries written to " + outFile);
      spec.commandLine().getOut().flush();
      return 0;
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break; empty for null. */
    static String csv(Object v) {
      if (v == null) {
        return "";
      }
      String s = v.toString();
      return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
  }
}
