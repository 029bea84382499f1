package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditKeys;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.ChangeOps;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.RedLetterLink;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Stage;
import io.invoicesync.schemas.Violation;
import io.invoicesync.streams.internal.avro.RedLedgerMessage;
import io.invoicesync.streams.internal.avro.RedVerdict;
import io.invoicesync.streams.rules.InvoiceValidator;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.MDC;

/**
 * The heart of sync-streams, per invoice (the record key): drop redelivered, stale and no-op
 * changes; merge a status-only change with the lines last synced; validate; then emit a new full
 * {@link InvoiceState} version or an {@link InvoiceRejected} with every reason, and an
 * {@link AuditEntry} chained to the invoice's previous one.
 *
 * <p>A new red-letter invoice that passes its own rules is checked against its blue invoice by the
 * {@link RedLetterLedger} (keyed by the blue invoice, maybe in another task): it is sent there and
 * its decision waits for the {@link RedVerdict}. Later changes of the same invoice are parked behind
 * it, so per-invoice order holds. Every synced blue invoice is registered with the ledger.
 *
 * <p>Every decision is an entry of the invoice's audit chain, including the ones that change
 * nothing (DEDUPLICATED with its kind, AWAITING_RED) and the ones other stages made: the
 * projector's {@link ProjectionEvent}s and the decoder's {@link InputDecoder.DeadLetterNotice}s
 * arrive here, keyed by invoice id, so this processor stays the one writer of each chain.
 *
 * <p>The audit entries themselves are built by {@link AuditEntries}; the rules live in the rules package.
 */
public final class InvoiceSyncProcessor implements Processor<String, Object, String, Object> {

  public static final String LINES_NOT_CAPTURED = "LINES_NOT_CAPTURED";
  public static final String VALUE_UNAVAILABLE = "VALUE_UNAVAILABLE";
  public static final String CHANGE_TOO_LARGE = "CHANGE_TOO_LARGE";
  public static final String DELETE_NOT_ALLOWED = "INVOICE_DELETED";
  public static final String VALIDATION_ERROR = "VALIDATION_ERROR";
  /** Another issuing source than the one that first delivered an invoice has it with other content. */
  public static final String SOURCE_CONFLICT = "SOURCE_CONFLICT";
  /** A re-read requested by 'invoice-sync resync': validated again and re-emitted even when nothing changed. */
  public static final String RESYNC = ChangeOps.RESYNC;
  /** Source position of an entry about a record that carried none (a dead letter that did not decode). */
  static final long NO_LSN = -1L;

  /** What happened to one change; also what the counters count. */
  public enum Outcome { SYNCED, REJECTED, REDELIVERY, STALE, NO_OP, AWAITING_RED, PARKED }

  public interface Listener {
    void on(Outcome outcome);
  }

  /** Where each kind of output goes. */
  public record Children(String synced, String rejected, String audit, String redLedger, String checkpoints) {
  }

  /**
   * The audit's settings: how often checkpoints are taken (zero = never), the input topic's
   * partition count they name, and the key that signs entries and checkpoints (null: unkeyed).
   */
  public record Checkpoints(Duration interval, int inputPartitions, AuditKeys.SigningKey key) {
  }

  private final String storeName;
  private final String headsStoreName;
  private final InvoiceValidator validator;
  private final ZoneId zone;
  private final Children children;
  private final Duration redWait;
  private final Listener listener;
  private final Checkpoints checkpoints;
  private final EarlyCommits earlyCommits;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, StoreEntry> store;
  private ChainHeads heads;
  private final AuditEntries entries;
  public InvoiceSyncProcessor(String storeName, String headsStoreName, InvoiceValidator validator, ZoneId zone, Children children,
                              Duration redWait, Checkpoints checkpoints, EarlyCommits earlyCommits, Listener listener) {
    this.earlyCommits = earlyCommits;
    this.headsStoreName = headsStoreName;
    this.checkpoints = checkpoints;
    this.entries = new AuditEntries(checkpoints.key());
    this.storeName = storeName;
    this.validator = validator;
    this.zone = zone;
    this.children = children;
    this.redWait = redWait;
    this.listener = listener;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    MDC.put("component", "streams");
    this.context = context;
    this.store = context.getStateStore(storeName);
    this.heads = new ChainHeads(context, context.getStateStore(headsStoreName), children.checkpoints(), checkpoints);
  }

  @Override
  public void process(Record<String, Object> record) {
    // what a log line written while deciding this record is about (JSON logs carry it as fields)
    MDC.put("invoice", record.key());
    context.recordMetadata().ifPresent(m -> {
      MDC.put("topic", m.topic());
      MDC.put("partition", Integer.toString(m.partition()));
      MDC.put("offset", Long.toString(m.offset()));
    });
    try {
      decide(record);
    } finally {
      MDC.remove("invoice");
      MDC.remove("topic");
      MDC.remove("partition");
      MDC.remove("offset");
    }
  }

  private void decide(Record<String, Object> record) {
    if (record.value() instanceof InvoiceChange change) {
      onChange(record.key(), change, record.timestamp());
      earlyCommits.request(context, record.timestamp()); // the projector, or the ledger, reads the decision once it commits
    } else if (record.value() instanceof RedVerdict verdict) {
      onVerdict(record.key(), verdict, record.timestamp());
      earlyCommits.request(context, record.timestamp());
    } else if (record.value() instanceof ProjectionEvent event) {
      onProjection(record.key(), event, record.timestamp());
    } else if (record.value() instanceof InputDecoder.DeadLetterNotice notice) {
      onDeadLetter(record.key(), notice, record.timestamp());
    } else {
      throw new IllegalStateException("sync processor got " + (record.value() == null ? "null" : record.value().getClass().getName()));
    }
  }

  private void onChange(String id, InvoiceChange change, long timestamp) {
    StoreEntry entry = store.get(id);
    StoreEntry.Position lsn = StoreEntry.Position.of(change.getSource());
    // positions order changes within one source: this change is compared with the newest one of its own source only
    StoreEntry.Position prior = entry == null ? null : entry.positionOf(lsn.source());
    if (RESYNC.equals(change.getOp()) && prior != null && lsn.compareTo(prior) <= 0) {
      // a re-read reports the stream's position, which may not be past this invoice's last change: it reads the current
      // row, so it is placed right at the last decided position and is never dropped as a redelivery or stale
      change = InvoiceChange.newBuilder(change).setSource(SourcePosition.newBuilder(change.getSource()).setLsn(prior.lsn())
          .setEpoch(prior.epoch()).build())
          .build();
      lsn = StoreEntry.Position.of(change.getSource());
    }
    if (isDuplicate(entry, lsn) && !RESYNC.equals(change.getOp())) {
      deduplicated(id, entry, change, "REDELIVERY", timestamp);
      listener.on(Outcome.REDELIVERY);
      return;
    }
    if (isStale(entry, lsn)) {
      deduplicated(id, entry, change, "STALE", timestamp);
      listener.on(Outcome.STALE);
      return;
    }
    if (entry != null && entry.awaitingVerdict()) {
      List<InvoiceChange> parked = new ArrayList<>(entry.parked());
      parked.add(change);
      store.put(id, new StoreEntry(entry.state(), lsn, head(id, entry), parked, entry.othersAfter(lsn)));
      listener.on(Outcome.PARKED);
      return;
    }
    decide(id, entry, change, timestamp);
  }

  private void onVerdict(String id, RedVerdict verdict, long timestamp) {
    StoreEntry entry = store.get(id);
    if (entry == null || !entry.awaitingVerdict() || entry.parked().get(0).getSource().getLsn() != verdict.getLsn()) {
      return; // a verdict for a change no longer awaited (replayed after it was decided)
    }
    InvoiceChange red = entry.parked().get(0);
    List<InvoiceChange> rest = entry.parked().subList(1, entry.parked().size());
    Instant now = heads.now();
    StoreEntry.Position redAt = StoreEntry.Position.of(red.getSource());
    // the changes parked behind the red one are decided again below, each checked against its own source's position:
    // their sources' positions go back to before them (they were checked for redelivery and staleness when parked)
    Map<String, StoreEntry.Position> others = new HashMap<>(entry.othersAfter(redAt));
    rest.forEach(c -> others.remove(c.getSource().getName()));
    StoreEntry base = new StoreEntry(entry.state(), redAt, head(id, entry), List.of(), others);
    StoreEntry after;
    if (verdict.getOk()) {
      after = apply(id, base, red, red.getAfter(), Digests.invoiceDigest(red.getAfter()), now, timestamp);
    } else {
      Violation v = Violation.newBuilder().setCode(verdict.getCode()).setField(verdict.getField()).setValue(verdict.getValue())
          .setExpected(verdict.getExpected()).setMessage(verdict.getMessage()).build();
      after = reject(id, base, red, red.getAfter(), List.of(v), now, timestamp);
    }
    store.put(id, after);
    for (InvoiceChange next : rest) {
      onChange(id, next, timestamp); // in order; a later change may itself wait again
    }
  }

  private void decide(String id, StoreEntry entry, InvoiceChange change, long timestamp) {
    StoreEntry.Position lsn = StoreEntry.Position.of(change.getSource());
    InvoiceState previous = entry == null ? null : entry.state();
    String auditHead = head(id, entry);
    StoreEntry base = new StoreEntry(previous, lsn, auditHead, List.of(), entry == null ? Map.of() : entry.othersAfter(lsn));
    Instant now = heads.now();

    if ("DELETE".equals(change.getOp()) || change.getAfter() == null) {
      Invoice seen = change.getBefore() != null ? change.getBefore() : previous == null ? null : previous.getInvoice();
      store.put(id, reject(id, base, change, seen, List.of(violation(DELETE_NOT_ALLOWED, "op", change.getOp(), "CREATE or UPDATE",
          "an issued invoice was deleted in the issuing database; issued invoices are voided or red-flushed, never deleted")), now, timestamp));
      return;
    }
    if (change.getLinesOmitted() != null) {
      store.put(id, reject(id, base, change, change.getAfter(), List.of(violation(CHANGE_TOO_LARGE, "lines", change.getLinesOmitted(),
          "at most ingest.max.change.bytes", "the change is too large to carry whole, so ingest left its lines out; raise "
              + "ingest.max.change.bytes (up to a third of the topics' max.message.bytes), then resync the invoice")), now, timestamp));
      return;
    }
    Invoice candidate;
    if (change.getLinesIncluded()) {
      candidate = change.getAfter();
    } else if (previous != null) {
      candidate = Invoice.newBuilder(change.getAfter()).setLines(previous.getInvoice().getLines()).build();
    } else {
      store.put(id, reject(id, base, change, change.getAfter(), List.of(violation(LINES_NOT_CAPTURED, "lines", null, "the invoice's lines",
          change.getSource().getFile() != null
              ? "the file lists this invoice without its lines (a summary sheet without the detail sheet, " + filed(change.getSource())
                  + ") and no source delivered them before: import the export with its detail sheet, or the invoice's XML or OFD"
              : "a header-only change arrived for an invoice that was never synced, so its lines are unknown")), now, timestamp));
      return;
    }
    Optional<String> unavailable = UnavailableValues.firstIn(candidate);
    if (unavailable.isPresent()) {
      // an unchanged TOASTed column (REPLICA IDENTITY not FULL): its value is the previous state's
      Optional<Invoice> filled = UnavailableValues.fill(candidate, previous == null ? null : previous.getInvoice());
      if (filled.isEmpty()) {
        store.put(id, reject(id, base, change, candidate, List.of(violation(VALUE_UNAVAILABLE, unavailable.get(), UnavailableValues.PLACEHOLDER,
            "the column's value", "the issuing database did not send this unchanged long value and no earlier state has it; set REPLICA "
                + "IDENTITY FULL on the issuing tables, then resync the invoice")), now, timestamp));
        return;
      }
      candidate = filled.get();
    }
    String digest = Digests.invoiceDigest(candidate);
    String source = change.getSource().getName();
    String owner = previous == null ? null : previous.getSource().getName();
    boolean fromFile = change.getSource().getFile() != null;
    boolean ownerFromFile = previous != null && previous.getSource().getFile() != null;
    if (previous != null && !source.equals(owner) && !fromFile && ownerFromFile) {
      // the issuing database's invoice after the tax platform's file's: it carries more fields. The same invoice when
      // every field the file carried agrees; then it is applied as a new version, and the issuing source owns it
      Invoice asFiled = Witness.fill(previous.getInvoice(), candidate);
      if (!Digests.invoiceDigest(asFiled).equals(digest)) {
        store.put(id, reject(id, base, change, candidate, digest, List.of(violation(SOURCE_CONFLICT, "source", label(source), label(owner),
            "source " + label(source) + " has this invoice with other content than version " + previous.getVersion() + " imported from "
                + filed(previous.getSource()) + ", which differs in " + Witness.differences(candidate, asFiled) + ": correct the "
                + "source that is wrong (if it is the file, import the corrected file)")), now, timestamp));
        return;
      }
      owner = source; // agreed: decided below as this source's change
    }
    if (previous != null && !source.equals(owner)) {
      // another source than the one whose change made the visible version (a migration, a mirror, the tax platform's
      // file): the same invoice, nationally identified, so the same content is a duplicate and other content a
      // conflict for a person. A file carries fewer fields than an issuing database: what it does not carry is not compared
      Invoice witnessed = fromFile ? Witness.fill(candidate, previous.getInvoice()) : candidate;
      if (fromFile) {
        digest = Digests.invoiceDigest(witnessed);
      }
      if (digest.equals(previous.getDigest())) {
        AuditEntry audit = entries.of(id, AuditEvent.DEDUPLICATED, previous.getVersion(), change, digest, "SAME_AS_SOURCE " + label(owner),
            auditHead, now, candidate);
        chain(id, audit, timestamp);
        store.put(id, new StoreEntry(previous, lsn, audit.getHash(), List.of(), base.others()));
        listener.on(Outcome.NO_OP);
        return;
      }
      store.put(id, reject(id, base, change, candidate, digest, List.of(violation(SOURCE_CONFLICT, "source", label(source), label(owner),
          "source " + label(source) + (fromFile ? " (" + filed(change.getSource()) + ")" : "") + " has this invoice with other content than "
              + "version " + previous.getVersion() + " from source " + label(owner) + ", which delivered it first"
              + (fromFile ? "; they differ in " + Witness.differences(witnessed, previous.getInvoice()) : "")
              + "; another source may repeat an invoice, not change it: correct the source that is wrong (if it is " + label(owner)
              + ", resync the invoice after)")), now, timestamp));
      return;
    }
    if (previous != null && digest.equals(previous.getDigest()) && !RESYNC.equals(change.getOp())) {
      AuditEntry audit = entries.of(id, AuditEvent.DEDUPLICATED, previous.getVersion(), change, digest, "NO_OP", auditHead, now, candidate);
      chain(id, audit, timestamp);
      store.put(id, new StoreEntry(previous, lsn, audit.getHash(), List.of(), base.others()));
      listener.on(Outcome.NO_OP);
      return;
    }
    List<Violation> violations;
    try {
      // judged as of the source commit, not the wall clock: reprocessing the same change gives the same verdict
      violations = validator.validate(candidate, previous == null ? null : previous.getInvoice(),
          LocalDate.ofInstant(change.getSource().getCommitTs(), zone), ChangeOps.CREATE.equals(change.getOp()));
    } catch (RuntimeException e) {
      // a bug in a rule must not stop the stream or lose the change: reject it, loudly
      violations = List.of(violation(VALIDATION_ERROR, "invoice", e.getClass().getName(), "no error",
          "validation failed unexpectedly: " + e.getMessage()));
    }
    if (!change.getMappingProblems().isEmpty()) {
      // values of the customer's tables the mapping could not read (ingest.mapping.file): their fields are empty, so the
      // reasons come first, naming the column and the value, before what validation makes of the empty fields
      List<Violation> all = new ArrayList<>(change.getMappingProblems());
      all.addAll(violations);
      violations = all;
    }
    if (!violations.isEmpty()) {
      store.put(id, reject(id, base, change, candidate, digest, violations, now, timestamp));
      return;
    }
    if (previous == null && candidate.getRedLetter() != null) {
      // a new red invoice: its blue invoice decides, in the ledger; park until the verdict
      RedLedgerMessage check = RedLedgerMessage.newBuilder().setKind("RED").setInvoiceId(id)
          .setTotalAmount(candidate.getTotalAmount()).setTotalTax(candidate.getTotalTax()).setStatus(candidate.getStatus())
          .setLsn(lsn.lsn()).setDeadline(now.plus(redWait).toEpochMilli()).build();
      context.forward(new Record<>(blueKey(candidate.getRedLetter()), (Object) check, timestamp), children.redLedger());
      InvoiceChange effective = change.getLinesIncluded() ? change : InvoiceChange.newBuilder(change).setAfter(candidate).build();
      RedLetterLink link = candidate.getRedLetter();
      AuditEntry audit = entries.of(id, AuditEvent.AWAITING_RED, null, change, digest, "blue invoice " + blueKey(link) + " decides, at the latest by "
          + now.plus(redWait), auditHead, now, candidate);
      chain(id, audit, timestamp);
      store.put(id, new StoreEntry(null, lsn, audit.getHash(), List.of(effective), base.others()));
      listener.on(Outcome.AWAITING_RED);
      return;
    }
    store.put(id, apply(id, base, change, candidate, digest, now, timestamp));
  }

  /** Same source position as the last decided change of its source: Debezium delivered it again. */
  static boolean isDuplicate(StoreEntry entry, StoreEntry.Position lsn) {
    StoreEntry.Position prior = entry == null ? null : entry.positionOf(lsn.source());
    return prior != null && lsn.compareTo(prior) == 0;
  }

  /** Older than the last decided change of its source. */
  static boolean isStale(StoreEntry entry, StoreEntry.Position lsn) {
    StoreEntry.Position prior = entry == null ? null : entry.positionOf(lsn.source());
    return prior != null && lsn.compareTo(prior) < 0;
  }

  /** A source's name as messages say it; the single, unnamed source is '(unnamed)'. */
  /** Where a file witness was read: "F.xlsx, sheet S, row R" or "F.xml". */
  static String filed(SourcePosition source) {
    io.invoicesync.schemas.FilePosition f = source.getFile();
    if (f == null) {
      return label(source.getName());
    }
    return f.getFile() + (f.getSheet() == null ? "" : ", sheet " + f.getSheet()) + (f.getRow() == null ? "" : ", row " + f.getRow())
        + (f.getPath() == null ? "" : ", " + f.getPath());
  }

  private static String label(String source) {
    return source == null || source.isEmpty() ? "(unnamed)" : "'" + source + "'";
  }

  private StoreEntry apply(String id, StoreEntry base, InvoiceChange change, Invoice candidate, String digest, Instant now, long ts) {
    InvoiceState previous = base.state();
    InvoiceState state = InvoiceState.newBuilder()
        .setInvoice(candidate)
        .setVersion(previous == null ? 1 : previous.getVersion() + 1)
        .setSource(change.getSource())
        .setDigest(digest)
        .setSyncedAt(now)
        .build();
    AuditEntry audit = entries.of(id, AuditEvent.APPLIED, state.getVersion(), change, digest, RESYNC.equals(change.getOp()) ? RESYNC : null,
        base.auditHead(), now, candidate);
    context.forward(new Record<>(id, (Object) state, ts), children.synced());
    chain(id, audit, ts);
    if (candidate.getRedLetter() == null && candidate.getInvoiceNumber() != null) {
      RedLedgerMessage blue = RedLedgerMessage.newBuilder().setKind("BLUE").setInvoiceId(id)
          .setTotalAmount(candidate.getTotalAmount()).setTotalTax(candidate.getTotalTax()).setStatus(candidate.getStatus())
          .setLsn(change.getSource().getLsn()).build();
      context.forward(new Record<>(blueKey(candidate.getInvoiceCode(), candidate.getInvoiceNumber()), (Object) blue, ts), children.redLedger());
    }
    listener.on(Outcome.SYNCED);
    return new StoreEntry(state, base.last(), audit.getHash(), List.of(), base.others());
  }

  private StoreEntry reject(String id, StoreEntry base, InvoiceChange change, Invoice seen, List<Violation> violations, Instant now, long ts) {
    return reject(id, base, change, seen, seen == null ? "" : Digests.invoiceDigest(seen), violations, now, ts);
  }

  /** As above, with the digest of {@code seen} already computed (the validation path has it). */
  private StoreEntry reject(String id, StoreEntry base, InvoiceChange change, Invoice seen, String digest, List<Violation> violations,
                            Instant now, long ts) {
    InvoiceRejected rejected = InvoiceRejected.newBuilder()
        .setInvoiceId(id)
        .setInvoice(seen)
        .setSource(change.getSource())
        .setViolations(violations)
        .setRejectedAt(now)
        .build();
    String codes = violations.stream().map(Violation::getCode).distinct().collect(Collectors.joining(","))
        + (RESYNC.equals(change.getOp()) ? " (" + RESYNC + ")" : "");
    AuditEntry audit = entries.of(id, AuditEvent.REJECTED, null, change, digest, codes, base.auditHead(), now, seen);
    context.forward(new Record<>(id, (Object) rejected, ts), children.rejected());
    chain(id, audit, ts);
    listener.on(Outcome.REJECTED);
    return new StoreEntry(base.state(), base.last(), audit.getHash(), List.of(), base.others());
  }

  /** The printed identity of an invoice, by which a red invoice names its blue one: {@code code|number}. */
  public static String blueKey(String code, String number) {
    return (code == null ? "" : code) + "|" + number;
  }

  static String blueKey(RedLetterLink link) {
    return blueKey(link.getBlueInvoiceCode(), link.getBlueInvoiceNumber());
  }

  /** A change that decided nothing new: chained, so the trail shows it arrived and why it changed nothing. */
  private void deduplicated(String id, StoreEntry entry, InvoiceChange change, String kind, long timestamp) {
    Instant now = heads.now();
    Invoice known = entry.state() == null ? change.getAfter() : entry.state().getInvoice();
    AuditEntry audit = entries.of(id, AuditEvent.DEDUPLICATED, entry.state() == null ? null : entry.state().getVersion(), change,
        entry.state() == null ? "" : entry.state().getDigest(), kind, head(id, entry), now, known);
    chain(id, audit, timestamp); // the invoice's state is unchanged: only its chain head moves
  }

  /** The projector's decision about a state of this invoice, chained into its audit trail (the state itself is not read or written). */
  private void onProjection(String id, ProjectionEvent event, long timestamp) {
    Instant now = heads.now();
    SourcePosition source = event.getSource() != null ? event.getSource()
        : SourcePosition.newBuilder().setLsn(NO_LSN).setCommitTs(event.getDecidedAt()).build();
    AuditEntry audit = entries.ofProjection(id, event, source, heads.head(id, () -> store.get(id)), now);
    chain(id, audit, timestamp);
  }

  /** An input record of this invoice that did not decode and went to the DLT. */
  private void onDeadLetter(String id, InputDecoder.DeadLetterNotice notice, long timestamp) {
    StoreEntry entry = store.get(id);
    Instant now = heads.now();
    Invoice known = entry == null || entry.state() == null ? null : entry.state().getInvoice();
    // an undecodable record of the captured topic is a change that was not decided; one of the projection topic only a
    // report that did not arrive (the invoice may well be visible), so it gets an event of its own that moves no outcome
    AuditEvent event = notice.capturedInput() ? AuditEvent.DEAD_LETTERED : AuditEvent.REPORT_DEAD_LETTERED;
    AuditEntry audit = entries.ofDeadLetter(id, event, notice, head(id, entry), now, known);
    chain(id, audit, timestamp);
  }

  /** The hash of the invoice's newest audit entry, or null before its first. */
  private String head(String id, StoreEntry entry) {
    return heads.head(id, () -> entry);
  }

  /** Sends an audit entry and makes it the invoice's chain head. */
  private void chain(String id, AuditEntry audit, long timestamp) {
    context.forward(new Record<>(id, (Object) audit, timestamp), children.audit());
    heads.moveTo(id, audit.getHash());
  }

  private static Violation violation(String code, String field, String value, String expected, String message) {
    return Violation.newBuilder().setCode(code).setField(field).setValue(value).setExpected(expected).setMessage(message).build();
  }
}
