package io.invoicesync.imports;

import io.invoicesync.schemas.ChangeOps;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.RedLetterLink;
import io.invoicesync.schemas.SourcePosition;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * One run of {@code invoice-sync import}: reads files and publishes each invoice as an
 * {@link InvoiceChange} of source {@value #SOURCE} (op SNAPSHOT: a file says what exists, it does not
 * issue) to {@code invoices.imported}, keyed by the invoice's id. Positions: lsn = the run's start in
 * microseconds + the invoice's sequence in the run, so a later import of the same invoice comes after an
 * earlier one, and the same invoice twice in one run keeps its order. Every position names its file,
 * SHA-256, and sheet and row or XML path.
 */
public final class ImportRun {

  /** The source name of imported invoices, in every position, audit entry and trace. */
  public static final String SOURCE = "import";

  /**
   * Gives an imported invoice the id the store already knows it by (an invoice captured from an issuing
   * database under its own id: the same invoice, found by code and number); null keeps the national id.
   */
  public interface IdResolver {
    String existingId(String code, String number);
  }

  /** What a run read and sent. */
  public record Report(String id, Instant startedAt, long firstLsn, long lastLsn, List<FileReaders.Summary> files,
                       List<ImportProblem> problems, List<String> failedFiles, int published, boolean dryRun) {

    public int invoices() {
      return files.stream().mapToInt(FileReaders.Summary::invoices).sum();
    }
  }

  /**
   * The settings every producer of imported invoices adds to the deployment's Kafka settings (bootstrap, security):
   * acknowledged by every replica, idempotent (a retried send is not a second record), lz4 as the pipeline's own.
   */
  public static java.util.Map<String, Object> producerSettings(String clientId) {
    return java.util.Map.of("acks", "all", "enable.idempotence", true, "compression.type", "lz4", "linger.ms", 20, "client.id", clientId);
  }

  private final Producer<String, InvoiceChange> producer;
  private final String topic;
  private final IdResolver ids;
  private final Consumer<String> progress;

  /**
   * @param producer null for a dry run (read and report, send nothing)
   * @param progress a line per file and every 10,000 invoices
   */
  public ImportRun(Producer<String, InvoiceChange> producer, String topic, IdResolver ids, Consumer<String> progress) {
    this.producer = producer;
    this.topic = topic;
    this.ids = ids == null ? (c, n) -> null : ids;
    this.progress = progress == null ? s -> { } : progress;
  }

  /** Reads {@code paths} (files and directories) and publishes their invoices; a file that cannot be read is reported, the rest go on. */
  public Report run(List<Path> paths) {
    return run(paths, inv -> true);
  }

  /** As {@link #run(List)}, sending only the invoices {@code wanted} accepts (reconcile --against --import-missing: the missing ones). */
  public Report run(List<Path> paths, java.util.function.Predicate<ImportedInvoice> wanted) {
    Instant started = Instant.now();
    long base = started.getEpochSecond() * 1_000_000L + started.getNano() / 1000;
    List<FileReaders.Summary> files = new ArrayList<>();
    List<ImportProblem> problems = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    List<Future<RecordMetadata>> pending = new ArrayList<>();
    long[] seq = {0};
    int[] sent = {0};
    for (Path file : FileReaders.expand(paths)) {
      try {
        FileReaders.Summary s = FileReaders.read(file, new ImportSink() {
          @Override
          public void invoice(ImportedInvoice inv) {
            if (!wanted.test(inv)) {
              return;
            }
            long lsn = base + seq[0]++;
            if (producer != null) {
              InvoiceChange change = change(inv, lsn, started);
              pending.add(producer.send(new ProducerRecord<>(topic, change.getInvoiceId(), change)));
              sent[0]++;
              if (pending.size() >= 10_000) {
                await(pending);
                progress.accept(String.format("  %,d invoices sent", sent[0]));
              }
            }
          }

          @Override
          public void problem(ImportProblem p) {
            problems.add(p);
          }
        });
        files.add(s);
        progress.accept(String.format("%s: %,d invoices, %,d lines, %,d problems", s.file(), s.invoices(), s.lines(), s.problems()));
      } catch (ImportFormatException e) {
        failed.add(e.getMessage());
        progress.accept(e.getMessage());
      }
    }
    if (producer != null) {
      producer.flush();
      await(pending);
    }
    long last = base + Math.max(0, seq[0] - 1);
    // the id names the run's positions, so its decisions can be found in the outcome tables by any instance, later
    return new Report("import-" + base + "-" + last, started, base, last, files, problems, failed, sent[0], producer == null);
  }

  private static void await(List<Future<RecordMetadata>> pending) {
    for (Future<RecordMetadata> f : pending) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while sending imported invoices", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("sending an imported invoice failed: " + e.getCause().getMessage(), e.getCause());
      }
    }
    pending.clear();
  }

  /** The change an imported invoice becomes: its id resolved, the file in its position. */
  InvoiceChange change(ImportedInvoice inv, long lsn, Instant started) {
    Invoice invoice = inv.invoice();
    String existing = ids.existingId(invoice.getInvoiceCode(), invoice.getInvoiceNumber());
    Invoice.Builder b = Invoice.newBuilder(invoice);
    if (existing != null) {
      b.setId(existing);
    }
    RedLetterLink red = invoice.getRedLetter();
    if (red != null && red.getBlueInvoiceNumber() != null) {
      String blue = ids.existingId(red.getBlueInvoiceCode(), red.getBlueInvoiceNumber());
      if (blue != null) {
        b.setRedLetter(RedLetterLink.newBuilder(red).setBlueInvoiceId(blue).build());
      }
    }
    Invoice after = b.build();
    SourcePosition position = SourcePosition.newBuilder().setName(SOURCE).setLsn(lsn).setCommitTs(started).setSnapshot(false).setEpoch(0)
        .setTxId(null).setFile(inv.where()).build();
    return InvoiceChange.newBuilder().setInvoiceId(after.getId()).setOp(ChangeOps.SNAPSHOT).setBefore(null).setAfter(after)
        .setLinesIncluded(inv.linesIncluded()).setSource(position).setCapturedAt(Instant.now()).build();
  }
}
