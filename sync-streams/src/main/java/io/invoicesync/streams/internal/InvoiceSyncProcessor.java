package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Violation;
import io.invoicesync.streams.rules.InvoiceValidator;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The heart of sync-streams, per invoice (the record key): drop redelivered, stale and no-op
 * changes; merge a status-only change with the lines last synced; validate; then emit a new full
 * {@link InvoiceState} version or an {@link InvoiceRejected} with every reason, and an
 * {@link AuditEntry} chained to the invoice's previous one.
 */
public final class InvoiceSyncProcessor implements Processor<String, InvoiceChange, String, Object> {

  public static final String LINES_NOT_CAPTURED = "LINES_NOT_CAPTURED";
  public static final String DELETE_NOT_ALLOWED = "INVOICE_DELETED";
  public static final String VALIDATION_ERROR = "VALIDATION_ERROR";

  /** What happened to one change; also what the dedup counters count. */
  public enum Outcome { SYNCED, REJECTED, REDELIVERY, STALE, NO_OP }

  public interface Listener {
    void on(Outcome outcome);
  }

  private final String storeName;
  private final InvoiceValidator validator;
  private final ZoneId zone;
  private final String syncedChild;
  private final String rejectedChild;
  private final String auditChild;
  private final Listener listener;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, StoreEntry> store;

  public InvoiceSyncProcessor(String storeName, InvoiceValidator validator, ZoneId zone, String syncedChild, String rejectedChild,
                              String auditChild, Listener listener) {
    this.storeName = storeName;
    this.validator = validator;
    this.zone = zone;
    this.syncedChild = syncedChild;
    this.rejectedChild = rejectedChild;
    this.auditChild = auditChild;
    this.listener = listener;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, InvoiceChange> record) {
    String id = record.key();
    InvoiceChange change = record.value();
    StoreEntry entry = store.get(id);
    long lsn = change.getSource().getLsn();
    if (isDuplicate(entry, lsn)) {
      listener.on(Outcome.REDELIVERY);
      return;
    }
    if (isStale(entry, lsn)) {
      listener.on(Outcome.STALE);
      return;
    }
    InvoiceState previous = entry == null ? null : entry.state();
    String auditHead = entry == null ? null : entry.auditHead();
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());

    if ("DELETE".equals(change.getOp()) || change.getAfter() == null) {
      Invoice seen = change.getBefore() != null ? change.getBefore() : previous == null ? null : previous.getInvoice();
      reject(record, entry, seen, List.of(violation(DELETE_NOT_ALLOWED, "op", change.getOp(), "CREATE or UPDATE",
          "an issued invoice was deleted in the issuing database; issued invoices are voided or red-flushed, never deleted")), now);
      return;
    }
    Invoice candidate;
    if (change.getLinesIncluded()) {
      candidate = change.getAfter();
    } else if (previous != null) {
      candidate = Invoice.newBuilder(change.getAfter()).setLines(previous.getInvoice().getLines()).build();
    } else {
      reject(record, entry, change.getAfter(), List.of(violation(LINES_NOT_CAPTURED, "lines", null, "the invoice's lines",
          "a header-only change arrived for an invoice that was never synced, so its lines are unknown")), now);
      return;
    }
    String digest = Digests.invoiceDigest(candidate);
    if (previous != null && digest.equals(previous.getDigest())) {
      store.put(id, new StoreEntry(previous, lsn, auditHead));
      listener.on(Outcome.NO_OP);
      return;
    }
    List<Violation> violations;
    try {
      LocalDate today = LocalDate.ofInstant(now, zone);
      violations = validator.validate(candidate, previous == null ? null : previous.getInvoice(), today);
    } catch (RuntimeException e) {
      // a bug in a rule must not stop the stream or lose the change: reject it, loudly
      violations = List.of(violation(VALIDATION_ERROR, "invoice", e.getClass().getName(), "no error",
          "validation failed unexpectedly: " + e.getMessage()));
    }
    if (!violations.isEmpty()) {
      reject(record, entry, candidate, violations, now);
      return;
    }
    InvoiceState state = InvoiceState.newBuilder()
        .setInvoice(candidate)
        .setVersion(previous == null ? 1 : previous.getVersion() + 1)
        .setSource(change.getSource())
        .setDigest(digest)
        .setSyncedAt(now)
        .build();
    AuditEntry audit = audit(id, "APPLIED", state.getVersion(), change, digest, null, auditHead, now);
    store.put(id, new StoreEntry(state, lsn, audit.getHash()));
    context.forward(record.withValue(state), syncedChild);
    context.forward(record.withValue(audit), auditChild);
    listener.on(Outcome.SYNCED);
  }

  /** Same source position as the last decided change: Debezium delivered it again. */
  static boolean isDuplicate(StoreEntry entry, long lsn) {
    return entry != null && lsn == entry.lastLsn();
  }

  /** Older than the last decided change. */
  static boolean isStale(StoreEntry entry, long lsn) {
    return entry != null && lsn < entry.lastLsn();
  }

  private void reject(Record<String, InvoiceChange> record, StoreEntry entry, Invoice seen, List<Violation> violations, Instant now) {
    InvoiceChange change = record.value();
    InvoiceRejected rejected = InvoiceRejected.newBuilder()
        .setInvoiceId(record.key())
        .setInvoice(seen)
        .setSource(change.getSource())
        .setViolations(violations)
        .setRejectedAt(now)
        .build();
    String codes = violations.stream().map(Violation::getCode).distinct().collect(Collectors.joining(","));
    String digest = seen == null ? "" : Digests.invoiceDigest(seen);
    AuditEntry audit = audit(record.key(), "REJECTED", null, change, digest, codes, entry == null ? null : entry.auditHead(), now);
    store.put(record.key(), new StoreEntry(entry == null ? null : entry.state(), change.getSource().getLsn(), audit.getHash()));
    context.forward(record.withValue(rejected), rejectedChild);
    context.forward(record.withValue(audit), auditChild);
    listener.on(Outcome.REJECTED);
  }

  private static AuditEntry audit(String id, String event, Integer version, InvoiceChange change, String digest, String detail,
                                  String prevHash, Instant now) {
    AuditEntry e = AuditEntry.newBuilder()
        .setInvoiceId(id).setEvent(event).setVersion(version).setSource(change.getSource()).setDigest(digest)
        .setDetail(detail).setPrevHash(prevHash).setHash("").setRecordedAt(now).build();
    e.setHash(Digests.auditHash(e));
    return e;
  }

  private static Violation violation(String code, String field, String value, String expected, String message) {
    return Violation.newBuilder().setCode(code).setField(field).setValue(value).setExpected(expected).setMessage(message).build();
  }
}
