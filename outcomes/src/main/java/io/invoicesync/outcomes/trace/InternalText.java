package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.schemas.AuditEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What of a trace or an audit trail a tenant may read. Why a record failed is internal: exception
 * classes and messages ("PSQLException: ERROR: value too long ...") name our tables, columns and
 * libraries. A caller without the {@code operations} scope gets the trace and the trail with that
 * text withheld, and where an operator reads it instead; the hashes, offsets and times stay (the
 * chain was verified on the server before anything is withheld).
 */
public final class InternalText {

  /** Events whose detail is the failure that caused them, as the projector or sync-streams caught it. */
  static final Set<String> FAILURE_EVENTS = Set.of(AuditEvent.RETRIED.name(), AuditEvent.DEAD_LETTERED.name());

  /** The sentence a tenant reads in place of a failure's text. */
  public static final String WITHHELD = "withheld: internal error text; an operator reads it with 'invoice-sync dlt' or 'invoice-sync trace'";

  /** Keys of a dead letter that carry the failure's text. */
  private static final List<String> DEAD_LETTER_TEXT = List.of("exceptionClass", "causeClass", "message");

  private InternalText() {
  }

  /** The trace {@link TraceService#trace} answered, as a tenant may read it: dead letters and failure entries without their text. */
  public static Map<String, Object> forTenant(Map<String, Object> trace) {
    Map<String, Object> out = new LinkedHashMap<>(trace);
    if (trace.get("deadLetters") instanceof List<?> deadLetters) {
      out.put("deadLetters", deadLetters.stream().map(d -> {
        Map<String, Object> m = new LinkedHashMap<>();
        ((Map<?, ?>) d).forEach((k, v) -> {
          if (!DEAD_LETTER_TEXT.contains(String.valueOf(k))) {
            m.put(String.valueOf(k), v);
          }
        });
        m.put("reason", WITHHELD);
        return m;
      }).toList());
    }
    if (trace.get("history") instanceof List<?> history) {
      out.put("history", history.stream().map(e -> e instanceof AuditEntryView v ? forTenant(v) : e).toList());
    }
    return out;
  }

  /** The audit trail, as a tenant may read it: the failure entries' detail withheld. */
  public static TraceService.History forTenant(TraceService.History history) {
    return new TraceService.History(history.invoiceId(), history.verified(), history.problems(),
        history.entries().stream().map(InternalText::forTenant).toList());
  }

  static AuditEntryView forTenant(AuditEntryView e) {
    if (!FAILURE_EVENTS.contains(e.event()) || e.detail() == null) {
      return e;
    }
    return new AuditEntryView(e.event(), e.stage(), e.version(), WITHHELD, e.sourceLsn(), e.sourceCommitTs(), e.capturedAt(), e.decidedAt(),
        e.recordedAt(), e.auditPartition(), e.auditOffset(), e.hash(), e.prevHash(), e.hashOk(), e.source(), e.file());
  }
}
