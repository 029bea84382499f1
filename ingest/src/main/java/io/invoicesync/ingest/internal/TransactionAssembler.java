package io.invoicesync.ingest.internal;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.RedLetterLink;
import io.invoicesync.schemas.SourcePosition;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns Debezium's change events into {@link InvoiceChange}s, one per invoice per source
 * transaction, so that an invoice never becomes visible with part of its lines.
 *
 * <p>Records are fed in the order Debezium emits them. With {@code provide.transaction.metadata}
 * on, a transaction's data events sit between its BEGIN and END markers; the assembler buffers
 * them and completes the transaction's changes at END. A data event without transaction metadata
 * (snapshot reads) completes at once. Snapshot reads of a header come out with
 * {@code linesIncluded=true} and no lines: the caller loads their lines (immutable once issued)
 * before publishing, see {@link #needsLines(InvoiceChange)}.
 *
 * <p>Not thread-safe: one assembler per engine task.
 */
public final class TransactionAssembler {

  private final String invoiceTable;
  private final String lineTable;
  private final Clock clock;
  private final long epoch;

  private String openTx;
  private final Map<String, Pending> open = new LinkedHashMap<>();

  /** What one transaction did to one invoice. */
  private static final class Pending {
    Struct header;
    char headerOp;
    final TreeMap<Integer, Struct> lines = new TreeMap<>();
    long maxLsn = Long.MIN_VALUE;
    Long txId;
    long commitTs;
    boolean snapshot;
    /** Read by an incremental snapshot ('invoice-sync resync'), not the initial one. */
    boolean resync;
  }

  /**
   * @param invoiceTable qualified header table, {@code schema.table}
   * @param lineTable    qualified line table
   */
  public TransactionAssembler(String invoiceTable, String lineTable, Clock clock) {
    this(invoiceTable, lineTable, clock, 0);
  }

  /** @param epoch the issuing cluster's generation ({@link IssuingDatabaseCheck#epoch}), on every position published */
  public TransactionAssembler(String invoiceTable, String lineTable, Clock clock, long epoch) {
    this.invoiceTable = invoiceTable;
    this.lineTable = lineTable;
    this.clock = clock;
    this.epoch = epoch;
  }

  /** True while a transaction's events are buffered; its offsets must not be committed yet. */
  public boolean inTransaction() {
    return openTx != null;
  }

  /** Feeds one record; returns the changes it completes (possibly none). */
  public List<InvoiceChange> accept(SourceRecord record) {
    Object value = record.value();
    if (!(value instanceof Struct struct)) {
      return List.of(); // tombstone
    }
    Field status = struct.schema().field("status");
    if (status != null && struct.schema().field("event_count") != null) {
      return transactionMarker(struct);
    }
    if (struct.schema().field("source") == null || struct.schema().field("op") == null) {
      return List.of(); // heartbeat or another non-data record
    }
    Struct source = struct.getStruct("source");
    String table = source.getString("schema") + "." + source.getString("table");
    boolean isHeader = table.equals(invoiceTable);
    boolean isLine = table.equals(lineTable);
    if (!isHeader && !isLine) {
      return List.of(); // e.g. the heartbeat table
    }
    Struct tx = struct.schema().field("transaction") == null ? null : struct.getStruct("transaction");
    if (tx == null) {
      // standalone event (snapshot read): a unit of its own
      Map<String, Pending> single = new LinkedHashMap<>();
      add(single, struct, source, isHeader);
      return complete(single);
    }
    List<InvoiceChange> done = new ArrayList<>();
    String txId = txKey(tx.getString("id"));
    if (openTx != null && !openTx.equals(txId)) {
      done.addAll(complete(open)); // END of the previous transaction never came: do not hold its changes back
    }
    openTx = txId;
    add(open, struct, source, isHeader);
    return done;
  }

  private List<InvoiceChange> transactionMarker(Struct marker) {
    String status = marker.getString("status");
    String id = txKey(marker.getString("id"));
    if ("BEGIN".equals(status)) {
      List<InvoiceChange> done = openTx != null && !openTx.equals(id) ? complete(open) : List.of();
      openTx = id;
      return done;
    }
    // END
    List<InvoiceChange> done = complete(open);
    openTx = null;
    return done;
  }

  /**
   * The PostgreSQL connector names a transaction {@code xid:lsn} with the LSN of each event (of
   * the commit on END), so the xid alone identifies the transaction.
   */
  static String txKey(String id) {
    int colon = id.indexOf(':');
    return colon < 0 ? id : id.substring(0, colon);
  }

  private void add(Map<String, Pending> into, Struct event, Struct source, boolean isHeader) {
    char op = event.getString("op").charAt(0);
    Struct row = op == 'd' ? event.getStruct("before") : event.getStruct("after");
    if (row == null) {
      return;
    }
    String invoiceId = isHeader ? row.getString("id") : row.getString("invoice_id");
    Pending p = into.computeIfAbsent(invoiceId, k -> new Pending());
    if (isHeader) {
      p.header = row;
      p.headerOp = (p.headerOp == 'c' && op == 'u') ? 'c' : op; // created and updated in one tx is a create
    } else if (op != 'd') {
      p.lines.put(row.getInt32("line_no"), row);
    }
    Long lsn = source.getInt64("lsn");
    if (lsn != null) {
      p.maxLsn = Math.max(p.maxLsn, lsn);
    }
    p.txId = source.getInt64("txId");
    p.commitTs = source.getInt64("ts_ms");
    Object snap = source.get("snapshot");
    p.snapshot = snap != null && !"false".equals(snap.toString());
    p.resync = snap != null && "incremental".equals(snap.toString());
  }

  private List<InvoiceChange> complete(Map<String, Pending> pending) {
    List<InvoiceChange> out = new ArrayList<>(pending.size());
    Instant now = clock.instant();
    for (Map.Entry<String, Pending> e : pending.entrySet()) {
      out.add(toChange(e.getKey(), e.getValue(), now));
    }
    pending.clear();
    return out;
  }

  private InvoiceChange toChange(String invoiceId, Pending p, Instant now) {
    SourcePosition position = SourcePosition.newBuilder()
        .setLsn(p.maxLsn == Long.MIN_VALUE ? 0 : p.maxLsn)
        .setTxId(p.txId)
        .setCommitTs(Instant.ofEpochMilli(p.commitTs))
        .setSnapshot(p.snapshot)
        .setEpoch(epoch)
        .build();
    List<InvoiceLine> lines = new ArrayList<>(p.lines.size());
    p.lines.values().forEach(l -> lines.add(line(l)));
    InvoiceChange.Builder change = InvoiceChange.newBuilder().setInvoiceId(invoiceId).setSource(position).setCapturedAt(now);
    if (p.header == null) {
      // lines written without their header: the issuer broke immutability; publish what was seen so
      // validation rejects it with reasons instead of dropping it
      Invoice partial = Invoice.newBuilder().setId(invoiceId).setSeller(new Party()).setBuyer(new Party()).setLines(lines).build();
      return change.setOp("UPDATE").setAfter(partial).setLinesIncluded(true).build();
    }
    if (p.headerOp == 'd') {
      return change.setOp("DELETE").setBefore(header(p.header, List.of())).setAfter(null).setLinesIncluded(false).build();
    }
    boolean created = p.headerOp == 'c';
    boolean snapshot = p.headerOp == 'r';
    String op = snapshot ? (p.resync ? RESYNC : "SNAPSHOT") : created ? "CREATE" : "UPDATE";
    boolean linesIncluded = created || snapshot || !lines.isEmpty();
    return change.setOp(op).setAfter(header(p.header, lines)).setLinesIncluded(linesIncluded).build();
  }

  /** The op of a re-read requested by 'invoice-sync resync' (a Debezium incremental snapshot read). */
  public static final String RESYNC = io.invoicesync.schemas.ChangeOps.RESYNC;

  /** A snapshot read of a header carries no lines yet; the caller must load them before publishing. */
  public static boolean needsLines(InvoiceChange change) {
    return ("SNAPSHOT".equals(change.getOp()) || RESYNC.equals(change.getOp())) && change.getAfter() != null
        && change.getAfter().getLines().isEmpty();
  }

  static Invoice header(Struct h, List<InvoiceLine> lines) {
    RedLetterLink red = null;
    if (str(h, "blue_invoice_number") != null || str(h, "blue_invoice_id") != null) {
      red = RedLetterLink.newBuilder()
          .setBlueInvoiceId(str(h, "blue_invoice_id"))
          .setBlueInvoiceCode(str(h, "blue_invoice_code"))
          .setBlueInvoiceNumber(str(h, "blue_invoice_number"))
          .setBlueIssueDate(date(h, "blue_issue_date"))
          .setConfirmationNo(str(h, "red_confirmation_no"))
          .setReason(value(h, "red_reason") == null ? null : ((Number) value(h, "red_reason")).intValue())
          .build();
    }
    return Invoice.newBuilder()
        .setId(h.getString("id"))
        .setInvoiceCode(str(h, "invoice_code"))
        .setInvoiceNumber(str(h, "invoice_number"))
        .setInvoiceType(str(h, "invoice_type"))
        .setIssueDate(date(h, "issue_date"))
        .setIssuedAt(timestamp(h, "issued_at"))
        .setSeller(Party.newBuilder().setName(str(h, "seller_name")).setTaxId(str(h, "seller_tax_id"))
            .setAddressPhone(str(h, "seller_address_phone")).setBankAccount(str(h, "seller_bank_account")).build())
        .setBuyer(Party.newBuilder().setName(str(h, "buyer_name")).setTaxId(str(h, "buyer_tax_id"))
            .setAddressPhone(str(h, "buyer_address_phone")).setBankAccount(str(h, "buyer_bank_account")).build())
        .setLines(lines)
        .setTotalAmount(decimal(h, "total_amount", 2))
        .setTotalTax(decimal(h, "total_tax", 2))
        .setGrandTotal(decimal(h, "grand_total", 2))
        .setStatus(h.getString("status"))
        .setRiskFlag(str(h, "risk_flag"))
        .setRedLetter(red)
        .setRemarks(str(h, "remarks"))
        .build();
  }

  static InvoiceLine line(Struct l) {
    Object exempt = value(l, "tax_exempt");
    return InvoiceLine.newBuilder()
        .setLineNo(l.getInt32("line_no"))
        .setItemName(str(l, "item_name"))
        .setSpecification(str(l, "specification"))
        .setUnit(str(l, "unit"))
        .setQuantity(decimal(l, "quantity", 8))
        .setUnitPrice(decimal(l, "unit_price", 8))
        .setAmount(decimal(l, "amount", 2))
        .setTaxRate(decimal(l, "tax_rate", 4))
        .setTaxExempt(Boolean.TRUE.equals(exempt))
        .setTaxAmount(decimal(l, "tax_amount", 2))
        .setTaxCode(str(l, "tax_code"))
        .setLineKind(str(l, "line_kind") == null ? "NORMAL" : str(l, "line_kind"))
        .build();
  }

  private static String str(Struct s, String field) {
    return (String) value(s, field);
  }

  /** The field's value, or null when the table has no such column (a column the contract needs then fails validation, with reasons). */
  private static Object value(Struct s, String field) {
    return s.schema().field(field) == null ? null : s.get(field);
  }

  /** Debezium io.debezium.time.Date: days since the epoch. */
  private static LocalDate date(Struct s, String field) {
    if (s.schema().field(field) == null || s.get(field) == null) {
      return null;
    }
    Object v = s.get(field);
    return v instanceof java.util.Date d ? LocalDate.ofInstant(d.toInstant(), ZoneOffset.UTC) : LocalDate.ofEpochDay(((Number) v).longValue());
  }

  /** Debezium io.debezium.time.MicroTimestamp: micros since the epoch, no zone. */
  private static LocalDateTime timestamp(Struct s, String field) {
    if (s.schema().field(field) == null || s.get(field) == null) {
      return null;
    }
    Object v = s.get(field);
    if (v instanceof java.util.Date d) {
      return LocalDateTime.ofInstant(d.toInstant(), ZoneOffset.UTC);
    }
    long micros = ((Number) v).longValue();
    String name = s.schema().field(field).schema().name();
    if ("io.debezium.time.Timestamp".equals(name)) {
      micros *= 1000;
    } else if ("io.debezium.time.NanoTimestamp".equals(name)) {
      micros /= 1000;
    }
    return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), (int) Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC);
  }

  /** Precise decimals (BigDecimal) or Debezium's VariableScaleDecimal struct, at the contract's scale. */
  private static BigDecimal decimal(Struct s, String field, int scale) {
    if (s.schema().field(field) == null || s.get(field) == null) {
      return null;
    }
    Object v = s.get(field);
    BigDecimal d;
    if (v instanceof BigDecimal b) {
      d = b;
    } else if (v instanceof Struct vs) {
      d = new BigDecimal(new BigInteger(vs.getBytes("value")), vs.getInt32("scale"));
    } else if (v instanceof Number n) {
      d = new BigDecimal(n.toString());
    } else {
      d = new BigDecimal(v.toString());
    }
    return d.setScale(scale, RoundingMode.HALF_UP);
  }
}
