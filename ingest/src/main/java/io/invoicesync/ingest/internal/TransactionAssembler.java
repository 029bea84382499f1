package io.invoicesync.ingest.internal;

import static io.debezium.connector.AbstractSourceInfo.SCHEMA_NAME_KEY;
import static io.debezium.connector.AbstractSourceInfo.SNAPSHOT_KEY;
import static io.debezium.connector.AbstractSourceInfo.TABLE_NAME_KEY;
import static io.debezium.connector.AbstractSourceInfo.TIMESTAMP_KEY;
import static io.debezium.pipeline.txmetadata.TransactionStructMaker.DEBEZIUM_TRANSACTION_EVENT_COUNT_KEY;
import static io.debezium.pipeline.txmetadata.TransactionStructMaker.DEBEZIUM_TRANSACTION_ID_KEY;
import static io.debezium.pipeline.txmetadata.TransactionStructMaker.DEBEZIUM_TRANSACTION_STATUS_KEY;

import io.debezium.data.Envelope.FieldName;
import io.debezium.data.Envelope.Operation;
import io.debezium.pipeline.txmetadata.TransactionStatus;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.ingest.mapping.RowMapper;
import io.invoicesync.schemas.ChangeOps;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceLine;
import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.Violation;
import io.invoicesync.schemas.SourcePosition;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger log = LoggerFactory.getLogger(TransactionAssembler.class);

  /**
   * The PostgreSQL connector's source fields (its {@code SourceInfo.LSN_KEY} and {@code TXID_KEY}):
   * the connector is on ingest's runtime classpath only, its constants are not.
   */
  private static final String LSN_KEY = "lsn";
  private static final String TXID_KEY = "txId";

  private final String invoiceTable;
  private final String lineTable;
  private final RowMapper mapper;
  private final Clock clock;
  private final long epoch;
  /** The header join values of the snapshot reads completed since {@link #forgetReads}, by invoice id: how their lines are found. */
  private final Map<String, List<Object>> readJoinValues = new LinkedHashMap<>();

  private String openTx;
  private final Map<String, Pending> open = new LinkedHashMap<>();

  /** What one transaction did to one invoice. */
  private static final class Pending {
    Struct header;
    Operation headerOp;
    /** By line number; a line without one (broken data) after the numbered ones, in arrival order. */
    final TreeMap<Integer, Struct> lines = new TreeMap<>();
    final List<Struct> unnumbered = new ArrayList<>();
    long maxLsn = Long.MIN_VALUE;
    Long txId;
    long commitTs;
    /** How its latest event was read: streamed, or by a snapshot (initial, or a resync's incremental one). */
    Read read;
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
    this(Mapping.reference().withTables(Mapping.TableName.parse(invoiceTable), Mapping.TableName.parse(lineTable)), clock, epoch);
  }

  /** @param mapping how the header and line rows become an invoice (the tables, the id, the fields) */
  private String sourceName = "";

  /** Names the issuing source every position carries ({@code ingest.source.name}); empty for the single source. */
  public TransactionAssembler named(String name) {
    this.sourceName = name == null ? "" : name;
    return this;
  }

  public TransactionAssembler(Mapping mapping, Clock clock, long epoch) {
    this.invoiceTable = mapping.header().toString();
    this.lineTable = mapping.lines().toString();
    this.mapper = new RowMapper(mapping);
    this.clock = clock;
    this.epoch = epoch;
  }

  /**
   * The header's join values of a snapshot read completed since {@link #forgetReads} (for the caller
   * that loads their lines after a batch); null for another invoice.
   */
  public List<Object> joinValuesOf(String invoiceId) {
    return readJoinValues.get(invoiceId);
  }

  /** Once a batch's snapshot reads have their lines: their join values are not needed any more. */
  public void forgetReads() {
    readJoinValues.clear();
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
    if (struct.schema().field(DEBEZIUM_TRANSACTION_STATUS_KEY) != null
        && struct.schema().field(DEBEZIUM_TRANSACTION_EVENT_COUNT_KEY) != null) {
      return transactionMarker(struct);
    }
    if (struct.schema().field(FieldName.SOURCE) == null || struct.schema().field(FieldName.OPERATION) == null) {
      return List.of(); // heartbeat or another non-data record
    }
    Struct source = struct.getStruct(FieldName.SOURCE);
    String table = source.getString(SCHEMA_NAME_KEY) + "." + source.getString(TABLE_NAME_KEY);
    boolean isHeader = table.equals(invoiceTable);
    boolean isLine = table.equals(lineTable);
    if (!isHeader && !isLine) {
      return List.of(); // e.g. the heartbeat table
    }
    Struct tx = struct.schema().field(FieldName.TRANSACTION) == null ? null : struct.getStruct(FieldName.TRANSACTION);
    if (tx == null) {
      // standalone event (snapshot read): a unit of its own
      Map<String, Pending> single = new LinkedHashMap<>();
      add(single, struct, source, isHeader);
      if (Read.isHistory(record.sourceOffset())) {
        single.values().forEach(p -> p.read = p.read == Read.RESYNC ? Read.HISTORY : p.read);
      }
      return complete(single);
    }
    List<InvoiceChange> done = new ArrayList<>();
    String txId = txKey(tx.getString(DEBEZIUM_TRANSACTION_ID_KEY));
    if (openTx != null && !openTx.equals(txId)) {
      done.addAll(complete(open)); // END of the previous transaction never came: do not hold its changes back
    }
    openTx = txId;
    add(open, struct, source, isHeader);
    return done;
  }

  private List<InvoiceChange> transactionMarker(Struct marker) {
    String status = marker.getString(DEBEZIUM_TRANSACTION_STATUS_KEY);
    String id = txKey(marker.getString(DEBEZIUM_TRANSACTION_ID_KEY));
    if (TransactionStatus.BEGIN.name().equals(status)) {
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
    Operation op = operation(event);
    Struct row = event.getStruct(op == Operation.DELETE ? FieldName.BEFORE : FieldName.AFTER);
    if (row == null) {
      return;
    }
    StructRow r = new StructRow(row);
    String invoiceId = isHeader ? mapper.invoiceId(r) : mapper.invoiceIdOfLine(r);
    Pending p = into.computeIfAbsent(invoiceId == null ? "" : invoiceId, k -> new Pending()); // no id: validation rejects it, with reasons
    if (isHeader) {
      p.header = row;
      // created and updated in one transaction is a create
      p.headerOp = p.headerOp == Operation.CREATE && op == Operation.UPDATE ? Operation.CREATE : op;
    } else if (op != Operation.DELETE) {
      Integer lineNo = mapper.lineNo(r);
      if (lineNo == null) {
        p.unnumbered.add(row);
      } else {
        p.lines.put(lineNo, row);
      }
    }
    Long lsn = source.getInt64(LSN_KEY);
    if (lsn != null) {
      p.maxLsn = Math.max(p.maxLsn, lsn);
    }
    p.txId = source.getInt64(TXID_KEY);
    p.commitTs = source.getInt64(TIMESTAMP_KEY);
    p.read = Read.fromSnapshotField(Objects.toString(source.get(SNAPSHOT_KEY), null));
  }

  /**
   * The event's operation. A code Debezium does not name (none reaches here: truncates are skipped
   * by the connector's default {@code skipped.operations}) is taken as an update, so that the row
   * is still published and judged by validation rather than dropped.
   */
  private static Operation operation(Struct event) {
    Operation op = Operation.forCode(event.getString(FieldName.OPERATION));
    return op == null ? Operation.UPDATE : op;
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
        .setSnapshot(p.read.isSnapshot())
        .setEpoch(epoch)
        .setName(sourceName)
        .build();
    List<RowMapper.Row> lineRows = new ArrayList<>(p.lines.size() + p.unnumbered.size());
    p.lines.values().forEach(l -> lineRows.add(new StructRow(l)));
    p.unnumbered.forEach(l -> lineRows.add(new StructRow(l)));
    List<InvoiceLine> lines = new ArrayList<>(lineRows.size());
    List<RowMapper.Problem> problems = new ArrayList<>();
    lineRows.forEach(l -> lines.add(mapper.line(l, problems)));
    InvoiceChange.Builder change = InvoiceChange.newBuilder().setInvoiceId(invoiceId).setSource(position).setCapturedAt(now);
    if (p.header == null) {
      // lines written without their header: the issuer broke immutability; publish what was seen so
      // validation rejects it with reasons instead of dropping it
      Invoice partial = Invoice.newBuilder().setId(invoiceId).setSeller(new Party()).setBuyer(new Party()).setLines(lines).build();
      return change.setOp(ChangeOps.UPDATE).setAfter(partial).setLinesIncluded(true).setMappingProblems(violations(invoiceId, problems)).build();
    }
    StructRow header = new StructRow(p.header);
    if (p.headerOp == Operation.READ) {
      readJoinValues.put(invoiceId, mapper.joinValues(header));
    }
    InvoiceChange built = switch (p.headerOp) {
      case DELETE -> change.setOp(ChangeOps.DELETE).setBefore(header(invoiceId, header, List.of(), new ArrayList<>())).setAfter(null)
          .setLinesIncluded(false).build();
      case CREATE -> change.setOp(ChangeOps.CREATE).setAfter(header(invoiceId, header, lines, problems)).setLinesIncluded(true).build();
      // a read's lines are loaded by the caller (needsLines), not carried by the event
      case READ -> change.setOp(readOp(p.read)).setAfter(header(invoiceId, header, lines, problems)).setLinesIncluded(true).build();
      default -> change.setOp(ChangeOps.UPDATE).setAfter(header(invoiceId, header, lines, problems)).setLinesIncluded(!lines.isEmpty())
          .build();
    };
    if (!problems.isEmpty()) {
      built.setMappingProblems(violations(invoiceId, problems));
    }
    return built;
  }

  /**
   * What the mapping could not read, as the violations sync-streams rejects the change with; logged
   * by field only (values may be personal data: they travel in the change, to the tenant's rejection).
   */
  static List<Violation> violations(String invoiceId, List<RowMapper.Problem> problems) {
    if (!problems.isEmpty()) {
      log.warn("invoice {}: {} value(s) the mapping could not read: {}", invoiceId, problems.size(),
          problems.stream().map(RowMapper.Problem::field).toList());
    }
    return problems.stream().map(RowMapper.Problem::violation).toList();
  }

  private static String readOp(Read read) {
    return switch (read) {
      case STREAM, SNAPSHOT, HISTORY -> ChangeOps.SNAPSHOT; // a history load's reads: as the initial snapshot's
      case RESYNC -> RESYNC;
    };
  }

  /** The op of a re-read requested by 'invoice-sync resync' (a Debezium incremental snapshot read). */
  public static final String RESYNC = ChangeOps.RESYNC;

  /** A snapshot read of a header carries no lines yet; the caller must load them before publishing. */
  public static boolean needsLines(InvoiceChange change) {
    return (ChangeOps.SNAPSHOT.equals(change.getOp()) || RESYNC.equals(change.getOp())) && change.getAfter() != null
        && change.getAfter().getLines().isEmpty();
  }

  /**
   * The invoice of a header row and its line rows, by the mapping. A value the mapping cannot read
   * leaves its field empty and is added to {@code problems} (the change carries it; sync-streams rejects
   * the change with it, as MAPPING_VALUE). The lines are mapped (and their problems collected) by the caller.
   */
  private Invoice header(String invoiceId, RowMapper.Row header, List<InvoiceLine> lines, List<RowMapper.Problem> problems) {
    RowMapper.Mapped m = mapper.invoiceOf(header, lines, problems);
    if (m.invoice() == null) { // no id from the row: keep the one it was grouped under, so that it is still published and judged
      return Invoice.newBuilder().setId(invoiceId).setSeller(new Party()).setBuyer(new Party()).setLines(List.of()).setStatus("").build();
    }
    return m.invoice();
  }

}
