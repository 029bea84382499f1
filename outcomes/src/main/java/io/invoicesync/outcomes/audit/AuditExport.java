package io.invoicesync.outcomes.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.FilePosition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A period of the audit trail as a file an auditor keeps: JSON lines or CSV, one line per entry, with
 * every field the hash covers (as the formula takes it) and where the entry is on the topic, so the
 * chains can be re-verified from the file alone. One format for {@code invoice-sync audit export}
 * (read from the topic) and the API's and console's export (read from the query store's copy of
 * the same entries).
 */
public final class AuditExport {

  /** The file formats, by the name {@code --format} and {@code format=} take. */
  public enum Format {
    JSONL("application/x-ndjson", "jsonl"), CSV("text/csv", "csv");

    private final String mediaType;
    private final String extension;

    Format(String mediaType, String extension) {
      this.mediaType = mediaType;
      this.extension = extension;
    }

    public String mediaType() {
      return mediaType;
    }

    public String extension() {
      return extension;
    }

    /** {@code jsonl} or {@code csv}; anything else is an error naming {@code what} and the value. */
    public static Format of(String what, String value) {
      for (Format f : values()) {
        if (f.extension.equals(value == null ? "" : value.toLowerCase(Locale.ROOT))) {
          return f;
        }
      }
      throw new IllegalArgumentException(what + " must be jsonl or csv, not '" + value + "'");
    }
  }

  /**
   * An entry as exported: every field the hash covers, as the formula takes it (the stage as written, null before
   * AuditEntry v2; times in epoch milliseconds), and where it is on the topic. The columns of the CSV, in order.
   */
  public record Entry(String invoiceId, String event, Integer version, long sourceLsn, long sourceCommitTs, String digest, String detail,
                      String prevHash, String hash, long recordedAt, String stage, Long capturedAt, Long decidedAt, String invoiceCode,
                      String invoiceNumber, String sellerTaxId, int partition, long offset, Long sourceTxId, long sourceEpoch,
                      boolean sourceSnapshot, String keyId, String mac, String sourceName, String sourceFile, String sourceFileSha256,
                      String sourceSheet, Integer sourceRow, String sourcePath) {

    public static Entry of(AuditEntry e, int partition, long offset) {
      FilePosition f = e.getSource().getFile();
      return new Entry(e.getInvoiceId(), e.getEvent(), e.getVersion(), e.getSource().getLsn(), e.getSource().getCommitTs().toEpochMilli(),
          e.getDigest(), e.getDetail(), e.getPrevHash(), e.getHash(), e.getRecordedAt().toEpochMilli(), e.getStage(),
          e.getCapturedAt() == null ? null : e.getCapturedAt().toEpochMilli(), e.getDecidedAt() == null ? null : e.getDecidedAt().toEpochMilli(),
          e.getInvoiceCode(), e.getInvoiceNumber(), e.getSellerTaxId(), partition, offset, e.getSource().getTxId(),
          e.getSource().getEpoch(), e.getSource().getSnapshot(), e.getKeyId(), e.getMac(),
          e.getSource().getName() == null || e.getSource().getName().isEmpty() ? null : e.getSource().getName(),
          f == null ? null : f.getFile(), f == null ? null : f.getSha256(), f == null ? null : f.getSheet(),
          f == null ? null : f.getRow(), f == null ? null : f.getPath());
    }

    /** The values in column order ({@link #FIELDS}: the components'), one CSV cell each. */
    List<String> cells() {
      return Stream.of(invoiceId, event, version, sourceLsn, sourceCommitTs, digest, detail, prevHash, hash, recordedAt, stage, capturedAt,
          decidedAt, invoiceCode, invoiceNumber, sellerTaxId, partition, offset, sourceTxId, sourceEpoch, sourceSnapshot, keyId, mac,
          sourceName, sourceFile, sourceFileSha256, sourceSheet, sourceRow, sourcePath).map(AuditExport::csv).toList();
    }
  }

  /** The CSV header: the record's components, in order. */
  public static final List<String> FIELDS = Arrays.stream(Entry.class.getRecordComponents()).map(RecordComponent::getName).toList();

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Writer out;
  private final Format format;
  private long written;

  /** Writes the CSV header at once (JSON lines have none). */
  public AuditExport(Writer out, Format format) throws IOException {
    this.out = out;
    this.format = format;
    if (format == Format.CSV) {
      out.write(String.join(",", FIELDS));
      out.write('\n');
    }
  }

  /** One entry, one line; an I/O failure is unchecked so it can leave a scan's callback. */
  public void write(AuditEntry e, int partition, long offset) {
    Entry entry = Entry.of(e, partition, offset);
    try {
      out.write(format == Format.JSONL ? JSON.writeValueAsString(entry) : String.join(",", entry.cells()));
      out.write('\n');
    } catch (IOException io) {
      throw new UncheckedIOException(io);
    }
    written++;
  }

  /** Entries written so far. */
  public long written() {
    return written;
  }

  /**
   * A bound of an export's period as the CLI's {@code --from/--to} and the API's {@code from/to} take it: an ISO instant, or a date
   * (the start of that day, UTC); null stays null.
   *
   * @throws IllegalArgumentException naming {@code what} and the value
   */
  public static java.time.Instant periodBound(String what, String value) {
    if (value == null) {
      return null;
    }
    try {
      return java.time.Instant.parse(value);
    } catch (java.time.format.DateTimeParseException e) {
      try {
        return java.time.LocalDate.parse(value).atStartOfDay().toInstant(java.time.ZoneOffset.UTC);
      } catch (java.time.format.DateTimeParseException e2) {
        throw new IllegalArgumentException(what + " '" + value + "' is neither an ISO instant (2026-11-25T08:00:00Z) nor a date (2026-11-25)");
      }
    }
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
