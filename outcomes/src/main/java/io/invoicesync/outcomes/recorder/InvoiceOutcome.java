package io.invoicesync.outcomes.recorder;

import io.invoicesync.schemas.Stage;
import io.invoicesync.outcomes.Outcome;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.AuditEvent;
import java.time.Instant;

/**
 * Where one invoice stands, as the audit trail says, and how each audit event moves it. Pure: the
 * outcome recorder loads rows, folds events into them with {@link #after}, and writes them back.
 *
 * @param outcome        one of {@link Outcome#RECORDED}
 * @param lastEvent      the newest audit event
 * @param latestVersion  the newest version sync-streams applied (null: none yet)
 * @param visibleVersion the newest version the projector made visible (null: none yet)
 * @param auditPartition partition of the newest event folded in
 * @param auditOffset    offset of the newest event folded in; older offsets are not folded again
 */
public record InvoiceOutcome(String invoiceId, Outcome outcome, String lastEvent, Integer latestVersion, Integer visibleVersion,
                             Long latestLsn, Instant latestCommitTs, String invoiceCode, String invoiceNumber, String sellerTaxId,
                             Instant firstSeenAt, Instant updatedAt, int auditPartition, long auditOffset) {


  /** True when the event at these coordinates was folded in already (a re-read after a crash). */
  public boolean hasSeen(int partition, long offset) {
    return partition == auditPartition && offset <= auditOffset;
  }

  /**
   * The outcome after {@code e} (read at {@code partition}/{@code offset}); {@code current} null
   * for the invoice's first event.
   */
  public static InvoiceOutcome after(InvoiceOutcome current, AuditEntry e, int partition, long offset) {
    Outcome outcome = current == null ? Outcome.IN_FLIGHT : current.outcome();
    Integer latest = current == null ? null : current.latestVersion();
    Integer visible = current == null ? null : current.visibleVersion();
    Long lsn = current == null ? null : current.latestLsn();
    Instant commitTs = current == null ? null : current.latestCommitTs();
    boolean decidesChange = e.getSource().getLsn() >= 0 && Stage.SYNC_STREAMS.decided(e);
    if (decidesChange && (lsn == null || e.getSource().getLsn() > lsn)) {
      lsn = e.getSource().getLsn();
      commitTs = e.getSource().getCommitTs();
    }
    AuditEvent event = AuditEvent.of(e).orElse(null); // null: an event of a later release, which moves nothing
    if (event != null) {
      switch (event) {
        case APPLIED -> {
          latest = max(latest, e.getVersion());
          outcome = visible != null && latest != null && visible >= latest ? Outcome.VISIBLE : Outcome.IN_FLIGHT;
        }
        case PROJECTED, ALREADY_CURRENT -> { // ALREADY_CURRENT: the store holds this version or a newer one
          visible = max(visible, e.getVersion());
          outcome = latest == null || (visible != null && visible >= latest) ? Outcome.VISIBLE : Outcome.IN_FLIGHT;
          if (latest == null) {
            latest = visible;
          }
        }
        case REJECTED -> outcome = Outcome.REJECTED;
        case DEAD_LETTERED -> outcome = Outcome.DEAD_LETTERED;
        case RETRIED, AWAITING_RED -> outcome = Outcome.IN_FLIGHT;
        case DEDUPLICATED, REPORT_DEAD_LETTERED, REPLAYED -> {
          // do not move the outcome
        }
      }
    }
    Instant at = e.getRecordedAt();
    return new InvoiceOutcome(e.getInvoiceId(), outcome, e.getEvent(), latest, visible, lsn, commitTs,
        e.getInvoiceNumber() != null ? e.getInvoiceCode() : current == null ? null : current.invoiceCode(),
        e.getInvoiceNumber() != null ? e.getInvoiceNumber() : current == null ? null : current.invoiceNumber(),
        e.getSellerTaxId() != null ? e.getSellerTaxId() : current == null ? null : current.sellerTaxId(),
        current == null ? at : current.firstSeenAt(), at, partition, offset);
  }

  private static Integer max(Integer a, Integer b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : Math.max(a, b);
  }
}
