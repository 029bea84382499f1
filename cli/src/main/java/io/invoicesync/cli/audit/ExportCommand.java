package io.invoicesync.cli.audit;

import io.invoicesync.outcomes.audit.TopicScan;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.AuditEntry;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code invoice-sync audit export}: a period of the audit trail as JSON lines or CSV, with the raw input of every hash. */
@Command(name = "export", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
    description = {"Export audit entries recorded in [--from, --to) as JSON lines or CSV, every field the hash covers included,",
        "so the chain can be re-verified from the file alone."},
    footer = {"", "Example:", "  invoice-sync audit export --bootstrap localhost:9092 --from 2026-11-01 --to 2026-12-01 --seller 91440300MA5ETUPW89 --format csv --out nov.csv"})
final class ExportCommand implements Callable<Integer> {
  @Mixin
  AuditCommand.Connection conn;
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

  /**
   * An entry as exported: every field the hash covers, as the formula takes it (the stage as written, null before
   * AuditEntry v2; times in epoch milliseconds), and where it is on the topic. The columns of the CSV, in order.
   */
  record Entry(String invoiceId, String event, Integer version, long sourceLsn, long sourceCommitTs, String digest, String detail,
               String prevHash, String hash, long recordedAt, String stage, Long capturedAt, Long decidedAt, String invoiceCode,
               String invoiceNumber, String sellerTaxId, int partition, long offset, Long sourceTxId, long sourceEpoch,
               boolean sourceSnapshot, String keyId, String mac, String sourceName, String sourceFile, String sourceFileSha256,
               String sourceSheet, Integer sourceRow, String sourcePath) {

    static Entry of(AuditEntry e, int partition, long offset) {
      return new Entry(e.getInvoiceId(), e.getEvent(), e.getVersion(), e.getSource().getLsn(), e.getSource().getCommitTs().toEpochMilli(),
          e.getDigest(), e.getDetail(), e.getPrevHash(), e.getHash(), e.getRecordedAt().toEpochMilli(), e.getStage(),
          e.getCapturedAt() == null ? null : e.getCapturedAt().toEpochMilli(), e.getDecidedAt() == null ? null : e.getDecidedAt().toEpochMilli(),
          e.getInvoiceCode(), e.getInvoiceNumber(), e.getSellerTaxId(), partition, offset, e.getSource().getTxId(),
          e.getSource().getEpoch(), e.getSource().getSnapshot(), e.getKeyId(), e.getMac(),
          e.getSource().getName() == null || e.getSource().getName().isEmpty() ? null : e.getSource().getName(),
          f(e) == null ? null : f(e).getFile(), f(e) == null ? null : f(e).getSha256(), f(e) == null ? null : f(e).getSheet(),
          f(e) == null ? null : f(e).getRow(), f(e) == null ? null : f(e).getPath());
    }

    /** The file an imported invoice's entry names (invoice-sync import), or null. */
    private static io.invoicesync.schemas.FilePosition f(AuditEntry e) {
      return e.getSource().getFile();
    }

    /** The values in column order ({@link #FIELDS}: the components'), one CSV cell each. */
    List<String> cells() {
      return Stream.of(invoiceId, event, version, sourceLsn, sourceCommitTs, digest, detail, prevHash, hash, recordedAt, stage, capturedAt,
          decidedAt, invoiceCode, invoiceNumber, sellerTaxId, partition, offset, sourceTxId, sourceEpoch, sourceSnapshot, keyId, mac,
          sourceName, sourceFile, sourceFileSha256, sourceSheet, sourceRow, sourcePath).map(ExportCommand::csv).toList();
    }
  }

  static final List<String> FIELDS = Arrays.stream(Entry.class.getRecordComponents()).map(RecordComponent::getName).toList();

  @Override
  public Integer call() throws Exception {
    if (!format.equals("jsonl") && !format.equals("csv")) {
      spec.commandLine().getErr().println("audit export: --format must be jsonl or csv, not " + format);
      return 2;
    }
    Instant f = AuditCommand.time("--from", from);
    Instant t = AuditCommand.time("--to", to);
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
      Set<String> sellersInvoices = new HashSet<>();
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
          Entry entry = Entry.of(e, r.partition(), r.offset());
          try {
            w.write(format.equals("jsonl") ? line.writeValueAsString(entry) : String.join(",", entry.cells()));
            w.newLine();
          } catch (IOException io) {
            throw new UncheckedIOException(io);
          }
          written[0]++;
        }, AuditCommand.step(bar));
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
