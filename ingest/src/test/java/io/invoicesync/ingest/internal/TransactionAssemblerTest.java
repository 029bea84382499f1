package io.invoicesync.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.InvoiceChange;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** The assembler on Debezium-shaped events built by hand: one change per invoice per source transaction. */
class TransactionAssemblerTest {

  private static final Instant NOW = Instant.parse("2026-11-24T08:00:00Z");
  private static final long COMMIT_MS = Instant.parse("2026-11-24T07:59:59Z").toEpochMilli();

  private static final Schema HEADER = SchemaBuilder.struct().name("issuing.invoice.Value")
      .field("id", Schema.STRING_SCHEMA)
      .field("invoice_code", Schema.OPTIONAL_STRING_SCHEMA)
      .field("invoice_number", Schema.OPTIONAL_STRING_SCHEMA)
      .field("invoice_type", Schema.OPTIONAL_STRING_SCHEMA)
      .field("issue_date", SchemaBuilder.int32().name("io.debezium.time.Date").optional().build())
      .field("seller_tax_id", Schema.OPTIONAL_STRING_SCHEMA)
      .field("total_amount", Decimal.builder(2).optional().build())
      .field("status", Schema.STRING_SCHEMA)
      .optional().build();
  private static final Schema LINE = SchemaBuilder.struct().name("issuing.invoice_line.Value")
      .field("invoice_id", Schema.STRING_SCHEMA)
      .field("line_no", Schema.INT32_SCHEMA)
      .field("item_name", Schema.OPTIONAL_STRING_SCHEMA)
      .field("amount", Decimal.builder(2).optional().build())
      .optional().build();
  private static final Schema SOURCE = SchemaBuilder.struct()
      .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
      .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).field("txId", Schema.OPTIONAL_INT64_SCHEMA)
      .field("ts_ms", Schema.INT64_SCHEMA).field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).build();
  private static final Schema TX = SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA).optional().build();
  private static final Schema MARKER = SchemaBuilder.struct().name("io.debezium.connector.common.TransactionMetadataValue")
      .field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA).field("event_count", Schema.OPTIONAL_INT64_SCHEMA).build();

  private final TransactionAssembler assembler =
      new TransactionAssembler("issuing.invoice", "issuing.invoice_line", Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void anInvoiceAndItsLinesInOneTransactionBecomeOneCreateAtItsEnd() {
    assertThat(assembler.accept(marker("BEGIN", "501:1000"))).isEmpty();
    assertThat(assembler.accept(header('c', "inv-1", "ISSUED", 1000, "501"))).isEmpty();
    assertThat(assembler.accept(line('c', "inv-1", 2, 1010, "501"))).isEmpty();
    assertThat(assembler.accept(line('c', "inv-1", 1, 1020, "501"))).isEmpty();
    assertThat(assembler.inTransaction()).as("offsets must not be committed mid-transaction").isTrue();

    List<InvoiceChange> done = assembler.accept(marker("END", "501:1030"));

    assertThat(done).hasSize(1);
    InvoiceChange c = done.get(0);
    assertThat(c.getOp()).isEqualTo("CREATE");
    assertThat(c.getInvoiceId()).isEqualTo("inv-1");
    assertThat(c.getLinesIncluded()).isTrue();
    assertThat(c.getAfter().getLines()).extracting(l -> l.getLineNo()).containsExactly(1, 2); // in line order, not event order
    assertThat(c.getAfter().getIssueDate()).isEqualTo(LocalDate.of(2026, 11, 20));
    assertThat(c.getAfter().getTotalAmount()).isEqualByComparingTo("100.00");
    assertThat(c.getSource().getLsn()).as("the newest position of the transaction's events").isEqualTo(1020);
    assertThat(c.getSource().getCommitTs()).isEqualTo(Instant.ofEpochMilli(COMMIT_MS));
    assertThat(c.getCapturedAt()).isEqualTo(NOW);
    assertThat(assembler.inTransaction()).isFalse();
  }

  @Test
  void valuesTheMappingCannotReadTravelWithTheChangeAsViolationsNamingColumnAndValue() throws Exception {
    // a mapping that reads the issue date from a text column in yyyyMMdd, and the line's amount from its item name
    io.invoicesync.ingest.mapping.Mapping m = io.invoicesync.ingest.mapping.Mapping.parse(String.join("\n", "version: 1",
        "header: {table: issuing.invoice, key: [id]}", "lines: {table: issuing.invoice_line, join: {invoice_id: id}, order: [line_no]}",
        "invoice: {id: id, status: status, issueDate: {column: invoice_number, format: yyyyMMdd}}",
        "line: {lineNo: line_no, amount: item_name}"), "test");
    TransactionAssembler mapped = new TransactionAssembler(m, Clock.fixed(NOW, ZoneOffset.UTC), 0);
    mapped.accept(marker("BEGIN", "601:1000"));
    mapped.accept(header('c', "inv-m", "ISSUED", 1000, "601"));
    mapped.accept(line('c', "inv-m", 1, 1010, "601"));

    InvoiceChange c = mapped.accept(marker("END", "601:1020")).get(0);

    assertThat(c.getAfter().getIssueDate()).as("the field is left empty").isNull();
    assertThat(c.getMappingProblems()).extracting(v -> v.getCode(), v -> v.getField(), v -> v.getValue()).containsExactly(
        org.assertj.core.groups.Tuple.tuple("MAPPING_VALUE", "line.amount", "item 1"),
        org.assertj.core.groups.Tuple.tuple("MAPPING_VALUE", "invoice.issueDate", "12345678"));
    assertThat(c.getMappingProblems().get(1).getMessage()).contains("column invoice_number = '12345678'", "yyyyMMdd");
  }

  @Test
  void twoInvoicesInOneTransactionAreTwoChanges() {
    assembler.accept(marker("BEGIN", "502"));
    assembler.accept(header('c', "inv-1", "ISSUED", 1, "502"));
    assembler.accept(header('c', "inv-2", "ISSUED", 2, "502"));
    assertThat(assembler.accept(marker("END", "502"))).extracting(InvoiceChange::getInvoiceId).containsExactly("inv-1", "inv-2");
  }

  @Test
  void aStatusOnlyUpdateSaysItsLinesAreNotIncluded() {
    assembler.accept(marker("BEGIN", "503"));
    assembler.accept(header('u', "inv-1", "VOIDED", 5, "503"));
    InvoiceChange c = assembler.accept(marker("END", "503")).get(0);
    assertThat(c.getOp()).isEqualTo("UPDATE");
    assertThat(c.getLinesIncluded()).isFalse();
    assertThat(c.getAfter().getStatus()).isEqualTo("VOIDED");
  }

  @Test
  void createdAndUpdatedInOneTransactionIsACreate() {
    assembler.accept(marker("BEGIN", "504"));
    assembler.accept(header('c', "inv-1", "ISSUED", 1, "504"));
    assembler.accept(header('u', "inv-1", "ISSUED", 2, "504"));
    assertThat(assembler.accept(marker("END", "504")).get(0).getOp()).isEqualTo("CREATE");
  }

  @Test
  void aDeletedHeaderIsADeleteWithTheRowAsItWas() {
    assembler.accept(marker("BEGIN", "505"));
    assembler.accept(header('d', "inv-1", "ISSUED", 9, "505"));
    InvoiceChange c = assembler.accept(marker("END", "505")).get(0);
    assertThat(c.getOp()).isEqualTo("DELETE");
    assertThat(c.getAfter()).isNull();
    assertThat(c.getBefore().getId()).isEqualTo("inv-1");
  }

  @Test
  void linesWithoutTheirHeaderArePublishedForValidationToRejectNotDropped() {
    assembler.accept(marker("BEGIN", "506"));
    assembler.accept(line('c', "inv-1", 3, 7, "506"));
    InvoiceChange c = assembler.accept(marker("END", "506")).get(0);
    assertThat(c.getOp()).isEqualTo("UPDATE");
    assertThat(c.getLinesIncluded()).isTrue();
    assertThat(c.getAfter().getLines()).hasSize(1);
    assertThat(c.getAfter().getInvoiceNumber()).isNull();
  }

  @Test
  void aTransactionWhoseEndNeverCameIsCompletedWhenTheNextOneBegins() {
    assembler.accept(marker("BEGIN", "507"));
    assembler.accept(header('c', "inv-1", "ISSUED", 1, "507"));
    List<InvoiceChange> flushed = assembler.accept(marker("BEGIN", "508"));
    assertThat(flushed).extracting(InvoiceChange::getInvoiceId).containsExactly("inv-1");
    assertThat(assembler.inTransaction()).isTrue();
  }

  @Test
  void aDataEventOfANewTransactionCompletesTheOpenOneToo() {
    assembler.accept(marker("BEGIN", "509"));
    assembler.accept(header('c', "inv-1", "ISSUED", 1, "509"));
    List<InvoiceChange> flushed = assembler.accept(header('c', "inv-2", "ISSUED", 2, "510"));
    assertThat(flushed).extracting(InvoiceChange::getInvoiceId).containsExactly("inv-1");
  }

  @Test
  void snapshotReadsCompleteAtOnceAndNeedTheirLinesLoaded() {
    List<InvoiceChange> done = assembler.accept(read("inv-1", "true"));
    assertThat(done).hasSize(1);
    assertThat(done.get(0).getOp()).isEqualTo("SNAPSHOT");
    assertThat(done.get(0).getSource().getSnapshot()).isTrue();
    assertThat(TransactionAssembler.needsLines(done.get(0))).isTrue();
  }

  @Test
  void everySnapshotReadOfABatchKeepsTheJoinValuesItsLinesAreLoadedByUntilTheyAreLoaded() {
    // a batch of snapshot reads: each completes at once, and the caller loads all their lines after the batch
    assembler.accept(read("inv-1", "true"));
    assembler.accept(read("inv-2", "true"));
    assembler.accept(read("inv-3", "last"));
    assertThat(assembler.joinValuesOf("inv-1")).as("not only the last read's").containsExactly("inv-1");
    assertThat(assembler.joinValuesOf("inv-2")).containsExactly("inv-2");
    assertThat(assembler.joinValuesOf("inv-3")).containsExactly("inv-3");
    assembler.forgetReads();
    assertThat(assembler.joinValuesOf("inv-1")).isNull();
  }

  @Test
  void incrementalSnapshotReadsAreResyncs() {
    InvoiceChange c = assembler.accept(read("inv-1", "incremental")).get(0);
    assertThat(c.getOp()).isEqualTo(TransactionAssembler.RESYNC);
    assertThat(TransactionAssembler.needsLines(c)).isTrue();
  }

  @Test
  void incrementalSnapshotReadsOfAHistoryLoadAreFirstReadsNotResyncs() {
    // Debezium keeps the running incremental snapshot's signal id in the offsets: a restarted engine still says whose reads these are
    Struct value = envelope(HEADER, null, row("inv-h", "ISSUED"), 'r', source("issuing", "invoice", 0, "incremental"), null);
    SourceRecord history = new SourceRecord(null, java.util.Map.of(Read.CORRELATION_ID, "history-3f2a"), "topic", value.schema(), value);
    SourceRecord resync = new SourceRecord(null, java.util.Map.of(Read.CORRELATION_ID, "resync-77"), "topic", value.schema(), value);

    InvoiceChange h = assembler.accept(history).get(0);
    assertThat(h.getOp()).as("judged like the initial snapshot's reads: not applied again when unchanged").isEqualTo("SNAPSHOT");
    assertThat(h.getSource().getSnapshot()).isTrue();
    assertThat(TransactionAssembler.needsLines(h)).isTrue();
    assertThat(assembler.accept(resync).get(0).getOp()).isEqualTo(TransactionAssembler.RESYNC);
  }

  @Test
  void tombstonesHeartbeatsAndOtherTablesAreIgnored() {
    assertThat(assembler.accept(new SourceRecord(null, null, "t", null, null))).isEmpty();
    Struct heartbeat = new Struct(SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA).build()).put("ts_ms", 1L);
    assertThat(assembler.accept(new SourceRecord(null, null, "t", heartbeat.schema(), heartbeat))).isEmpty();
    Struct other = envelope(HEADER, null, row("x", "ISSUED"), 'c', source("issuing", "heartbeat", 1, null), null);
    assertThat(assembler.accept(record(other))).isEmpty();
  }

  @Test
  void theTransactionKeyIsTheXidWithoutTheEventsPosition() {
    assertThat(TransactionAssembler.txKey("571:35413992")).isEqualTo("571");
    assertThat(TransactionAssembler.txKey("571")).isEqualTo("571");
  }

  // ---- Debezium-shaped events ----------------------------------------------------------------

  private static Struct row(String id, String status) {
    return new Struct(HEADER).put("id", id).put("invoice_code", "044001900111").put("invoice_number", "12345678")
        .put("invoice_type", "GENERAL_ELECTRONIC").put("issue_date", (int) LocalDate.of(2026, 11, 20).toEpochDay())
        .put("seller_tax_id", "91310000MA1FL8XQ30").put("total_amount", new BigDecimal("100.00")).put("status", status);
  }

  private static SourceRecord header(char op, String id, String status, long lsn, String xid) {
    Struct r = row(id, status);
    return record(envelope(HEADER, op == 'd' ? r : null, op == 'd' ? null : r, op, source("issuing", "invoice", lsn, null), xid));
  }

  private static SourceRecord line(char op, String invoiceId, int lineNo, long lsn, String xid) {
    Struct l = new Struct(LINE).put("invoice_id", invoiceId).put("line_no", lineNo).put("item_name", "item " + lineNo)
        .put("amount", new BigDecimal("50.00"));
    return record(envelope(LINE, null, l, op, source("issuing", "invoice_line", lsn, null), xid));
  }

  private static SourceRecord read(String id, String snapshot) {
    return record(envelope(HEADER, null, row(id, "ISSUED"), 'r', source("issuing", "invoice", 0, snapshot), null));
  }

  private static Struct source(String schema, String table, long lsn, String snapshot) {
    return new Struct(SOURCE).put("schema", schema).put("table", table).put("lsn", lsn).put("txId", 42L).put("ts_ms", COMMIT_MS)
        .put("snapshot", snapshot);
  }

  private static Struct envelope(Schema rowSchema, Struct before, Struct after, char op, Struct source, String xid) {
    Schema s = SchemaBuilder.struct().field("before", rowSchema).field("after", rowSchema).field("source", SOURCE)
        .field("op", Schema.STRING_SCHEMA).field("transaction", TX).build();
    return new Struct(s).put("before", before).put("after", after).put("source", source).put("op", String.valueOf(op))
        .put("transaction", xid == null ? null : new Struct(TX).put("id", xid + ":" + source.getInt64("lsn")));
  }

  private static SourceRecord marker(String status, String id) {
    Struct m = new Struct(MARKER).put("status", status).put("id", id).put("event_count", 0L);
    return record(m);
  }

  private static SourceRecord record(Struct value) {
    return new SourceRecord(null, null, "topic", value.schema(), value);
  }
}
