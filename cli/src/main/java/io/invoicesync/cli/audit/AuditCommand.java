package io.invoicesync.cli.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.invoicesync.outcomes.audit.TopicScan;
import io.invoicesync.outcomes.audit.AuditAnchor;
import io.invoicesync.outcomes.audit.AuditVerifier;
import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.cli.internal.KafkaConnection;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.cli.internal.OutputOption;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;
import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditKeys;
import io.invoicesync.schemas.SerdeFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
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
 * The three subcommands share one connection set-up ({@link Connection}) and read the topic with
 * {@link TopicScan}; {@code history} shows entries as {@link AuditEntryView}, the shape the API's
 * audit endpoint and traces show, and {@code export} writes the hash's raw input ({@link io.invoicesync.outcomes.audit.AuditExport.Entry}).
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = {"Verify, read and export the audit trail (invoices.audit): per-invoice hash chains plus periodic checkpoints.",
        "The hash formula is in sync-streams/README.md, so any tool can recompute it."},
    subcommands = {AuditCommand.VerifyCommand.class, AuditCommand.HistoryCommand.class, ExportCommand.class})
public final class AuditCommand {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Where the audit trail is. */
  static final class Connection {
    @Mixin
    KafkaConnection kafka = new KafkaConnection();

    @Option(names = "--registry", description = "Schema registry URL, when the audit was written with one (default: the configuration's, "
        + "or none: the built-in schema catalog).")
    String registry;

    @Option(names = "--topic", defaultValue = "invoices.audit", description = "The audit topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--no-progress", description = "No progress bar (it is shown only on a terminal anyway).")
    boolean noProgress;

    /** The Kafka client settings; the registry of --config unless --registry names one. */
    Map<String, Object> client() throws IOException {
      if (kafka.runConfig() != null && registry == null) {
        registry = kafka.runConfig().get("schema.registry.url");
      }
      return kafka.clientConfig();
    }

    /** The registry (and Apicurio's auth/TLS settings of --config) the audit was written with, or the built-in catalog. */
    SerdeFactory serdes() throws IOException {
      Map<String, String> options = kafka.runConfig() == null ? Map.of() : kafka.runConfig().values();
      return SerdeFactory.of(registry == null ? "" : registry, options);
    }

    /** A progress bar on the terminal for a scan of {@code total} records, or nothing. */
    ProgressBar progress(String task, long total) {
      if (noProgress || System.console() == null || total < 10_000) {
        return null;
      }
      return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
          .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUnit(" records", 1).build();
    }
  }

  static LongConsumer step(ProgressBar bar) {
    return n -> {
      if (bar != null) {
        bar.stepBy(n);
      }
    };
  }

  /** An ISO instant, or a date (start of that day, UTC): the export's own reader of a period's bounds. */
  static Instant time(String option, String v) {
    return io.invoicesync.outcomes.audit.AuditExport.periodBound(option, v);
  }

  @Command(name = "verify", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
      description = {"Recompute every hash of invoices.audit (read_committed), check every link and every keyed entry's MAC, and",
          "compare each task's latest checkpoint with the chain heads the topic gives. Reports each broken, missing, reordered,",
          "forged or unkeyed entry by invoice and offset, and a partition whose entries no checkpoint covers.",
          "Exit 0 clean, 1 broken, 2 unreadable (no such topic, no broker, a key file that is not a key)."},
      footer = {"", "Examples:", "  invoice-sync audit verify --bootstrap localhost:9092 --key audit-2026.key",
          "  invoice-sync audit verify --bootstrap localhost:9092 --key k1=old-public.pem --key k2=audit-public.pem",
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
    @Option(names = "--key", paramLabel = "[ID=]FILE", description = {"A key the audit was signed with: the HMAC secret's file, or an "
        + "Ed25519 public key (PEM). ID is the key id the entries name (default: the file's name without extension). Repeat for "
        + "rotated keys. Keyed entries of a key not given are UNVERIFIABLE."})
    List<String> keyFiles = new ArrayList<>();
    @Option(names = "--checkpoint-interval", paramLabel = "SECONDS", description = "The pipeline's audit.checkpoint.interval.ms, in "
        + "seconds: an entry older than two intervals must be covered by a checkpoint (default: from --config, else 300).")
    Long checkpointIntervalSeconds;
    @Option(names = "--anchors", paramLabel = "FILE|DIR", description = "Anchors the outcome recorder appended (projector.audit.anchor.dir): "
        + "each anchored checkpoint must still be on the checkpoint topic, unchanged, and its root still given by the audit topic.")
    Path anchorFiles;
    @Option(names = "--store", description = "Compare against the anchors in the query store (table audit_anchor) of --config.")
    boolean anchorStore;
    @Option(names = "--store-url", paramLabel = "JDBC_URL", description = "The query store holding audit_anchor, instead of --config's "
        + "(user and password in the URL: ?user=...&password=...).")
    String anchorStoreUrl;
    @Option(names = "--no-checkpoints", description = "The pipeline runs with audit.checkpoints.enabled=false: no checkpoint is "
        + "expected (and a deleted chain or a truncated topic cannot be detected).")
    boolean noCheckpoints;
    @Mixin
    OutputOption output;
    @Spec
    CommandSpec spec;

    private RunConfig requireConfig() throws IOException {
      RunConfig rc = conn.kafka.runConfig();
      if (rc == null) {
        throw new IllegalArgumentException("--store reads the query store of --config; give --config FILE or --store-url JDBC_URL");
      }
      return rc;
    }

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      int inputPartitions = 0;
      AuditVerifier verifier;
      boolean checkpointsOff = noCheckpoints;
      boolean checkpointTopicMissing = false;
      AuditKeys.Verifier keys = AuditKeys.Verifier.none();
      try {
        for (String k : keyFiles) {
          int eq = k.indexOf('=');
          Path file = Path.of(eq > 0 ? k.substring(eq + 1) : k);
          keys.add(eq > 0 ? k.substring(0, eq) : AuditKeys.defaultId(file), file);
        }
      } catch (IOException | IllegalArgumentException e) {
        err.println("audit verify: --key: " + e.getMessage());
        err.flush();
        return 2;
      }
      Duration interval;
      List<AuditAnchor> anchored = new ArrayList<>();
      try {
        if (anchorFiles != null) {
          anchored.addAll(AuditAnchor.read(anchorFiles));
        }
        if (anchorStore || anchorStoreUrl != null) {
          DataSource store = anchorStoreUrl != null ? RunConfig.dataSource(anchorStoreUrl, null, null) : requireConfig().store();
          anchored.addAll(AuditAnchor.read(store));
        }
      } catch (Exception e) {
        err.println("audit verify: cannot read the anchors: " + e.getMessage());
        err.flush();
        return 2;
      }
      try {
        verifier = new AuditVerifier(invoice, time("--from", from), time("--to", to)).withKeys(keys, true);
        Map<String, Object> client = conn.client();
        RunConfig rc = conn.kafka.runConfig();
        if (rc != null && "false".equalsIgnoreCase(rc.get("streams.audit.checkpoints.enabled"))) {
          checkpointsOff = true;
        }
        interval = checkpointIntervalSeconds != null ? Duration.ofSeconds(checkpointIntervalSeconds)
            : rc != null && rc.get("streams.audit.checkpoint.interval.ms") != null
            ? Duration.ofMillis(Long.parseLong(rc.get("streams.audit.checkpoint.interval.ms").trim())) : Duration.ofMinutes(5);
        Deserializer<AuditEntry> entries = conn.serdes().valueSerde(AuditEntry.class).deserializer();
        Deserializer<AuditCheckpoint> checkpoints = conn.serdes().valueSerde(AuditCheckpoint.class).deserializer();
        try (TopicScan scan = new TopicScan(client)) {
          // checkpoints first: every entry a checkpoint read now covers was committed before it, so it is below the audit
          // topic's end read afterwards (the other order could see a checkpoint whose entries the scan stopped short of)
          List<TopicPartition> cps = List.of();
          if (invoice == null && !checkpointsOff) { // one invoice's chain is checked link by link; checkpoints commit to whole tasks
            try {
              cps = scan.partitions(checkpointTopic);
            } catch (IllegalArgumentException noCheckpoints) {
              checkpointTopicMissing = true;
            }
          }
          if (!anchored.isEmpty()) {
            verifier.acceptAnchors(anchored, cps.isEmpty() ? Map.of() : scan.endOffsets(cps));
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
          if (invoice == null && !checkpointsOff) {
            inputPartitions = partitions.size(); // the audit topic is created with the captured topic's partition count
          }
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
      List<AuditVerifier.Problem> problems = new ArrayList<>();
      if (checkpointTopicMissing) {
        problems.add(new AuditVerifier.Problem(null, -1, -1, "NO_CHECKPOINT_TOPIC", "there is no checkpoint topic " + checkpointTopic
            + ": a deleted chain or a truncated audit topic cannot be detected (--no-checkpoints when the pipeline runs without)"));
      } else if (inputPartitions > 0) {
        verifier.requireCheckpoints(interval, Instant.now(), inputPartitions);
      }
      problems.addAll(verifier.finish(allCheckpoints));
      long unkeyed = verifier.entries() - verifier.keyedEntries();
      if (output.json()) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("topic", conn.topic);
        body.put("entries", verifier.entries());
        body.put("invoices", verifier.invoices());
        body.put("checkpoints", verifier.checkpoints());
        body.put("keyedEntries", verifier.keyedEntries());
        body.put("unkeyedEntries", unkeyed);
        body.put("keys", List.copyOf(keys.ids()));
        body.put("checkpointsExpected", !checkpointsOff);
        body.put("anchors", anchored.size());
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
        if (checkpointsOff) {
          out.println("no checkpoints: deletions undetectable (a deleted chain or a truncated topic does not show)");
        }
        out.printf("%s: %d entries of %d invoices (%d keyed, %d unkeyed), %d checkpoints, %d anchors: %s%n", conn.topic,
            verifier.entries(), verifier.invoices(), verifier.keyedEntries(), unkeyed, verifier.checkpoints(), anchored.size(),
            problems.isEmpty() ? "verified" : problems.size() + " problem" + (problems.size() == 1 ? "" : "s"));
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
      List<AuditEntryView> read = new ArrayList<>();
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
            read.add(AuditEntryView.of(e, r.partition(), r.offset()));
          }
        }, n -> { });
      } catch (Exception e) {
        spec.commandLine().getErr().println("audit history: cannot read the audit trail: " + e.getMessage());
        return 2;
      }
      List<AuditVerifier.Problem> problems = verifier.finish(false);
      Set<Long> altered = new HashSet<>(); // one partition: an offset names the entry
      problems.stream().filter(p -> "ALTERED".equals(p.kind())).forEach(p -> altered.add(p.offset()));
      List<AuditEntryView> rows = read.stream().map(e -> e.checked(!altered.contains(e.auditOffset()))).toList();
      boolean verified = !rows.isEmpty() && problems.isEmpty();
      if (output.json()) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("invoiceId", id);
        body.put("verified", verified);
        body.put("problems", problems);
        // "offset" is this command's published name for an entry's position; kept beside the view's auditOffset for scripts
        body.put("entries", rows.stream().map(e -> ((ObjectNode) JSON.valueToTree(e)).put("offset", e.auditOffset())).toList());
        out.println(JSON.writeValueAsString(body));
      } else {
        out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, rows, List.of(
            new Column().header("offset").with(e -> Long.toString(e.auditOffset())),
            new Column().header("recorded").with(AuditEntryView::recordedAt),
            new Column().header("stage").dataAlign(HorizontalAlign.LEFT).with(AuditEntryView::stage),
            new Column().header("event").dataAlign(HorizontalAlign.LEFT).with(AuditEntryView::event),
            new Column().header("v").with(e -> e.version() == null ? "" : e.version().toString()),
            new Column().header("detail").dataAlign(HorizontalAlign.LEFT).maxWidth(60).with(e -> e.detail() == null ? "" : e.detail()),
            new Column().header("hash").with(e -> e.hash().substring(0, 12) + (e.hashOk() ? "" : " ALTERED")))));
        problems.forEach(p -> out.println(p.kind() + " at offset " + p.offset() + ": " + p.message()));
        out.println(rows.isEmpty() ? "no audit entry for " + id : verified ? "chain verified" : "chain BROKEN");
      }
      out.flush();
      return verified ? 0 : 1;
    }
  }
}
