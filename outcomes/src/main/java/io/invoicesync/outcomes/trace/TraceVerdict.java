package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.Outcome;
import io.invoicesync.schemas.AuditEvent;
import java.time.Duration;
import java.time.Instant;

/**
 * The pure decision behind a trace: what the query store, the outcome recorder and (when
 * configured) the issuing database say about one invoice, turned into one outcome and a sentence a
 * finance clerk can act on.
 *
 * @param outcome     any {@link Outcome}
 * @param explanation what happened, with times
 * @param action      what to do about it
 */
public record TraceVerdict(Outcome outcome, String explanation, String action) {


  /** What the query store shows: null when the invoice is not visible. */
  public record Visible(int version, String status, Instant sourceCommitTs, Instant projectedAt) {
  }

  /** What the outcome recorder last recorded: null when it never saw the invoice. */
  public record Recorded(Outcome outcome, String lastEvent, Integer latestVersion, Integer visibleVersion, Instant updatedAt) {
  }

  /**
   * What the issuing database says. {@code checked} false when no source access is configured or it
   * failed; then {@code present} and the rest are meaningless.
   */
  public record Source(boolean checked, boolean present, String status, Instant changedAt, Long captureBehindBytes,
                       Instant newestHandledCommit) {
    public static final Source UNCHECKED = new Source(false, false, null, null, null, null);
  }

  public static TraceVerdict decide(Visible visible, Recorded recorded, Source source, Instant now) {
    if (recorded == null && visible == null) {
      if (!source.checked()) {
        return new TraceVerdict(Outcome.UNKNOWN, "the pipeline has no record of this invoice: it was never captured, or the id is wrong",
            "check the id; give the API read access to the issuing database (api.source.jdbc.url) to tell 'not captured yet' "
                + "from 'never issued'");
      }
      if (!source.present()) {
        return new TraceVerdict(Outcome.UNKNOWN, "the issuing database has no invoice with this id, and the pipeline has no record of it",
            "check the id (it is the issuing platform's primary key) or search by invoice number");
      }
      return new TraceVerdict(Outcome.NOT_CAPTURED, "committed in the issuing database at " + source.changedAt() + ", not captured yet; "
          + behind(source, now), "wait: capture is running behind; if this persists, check ingest's health and the replication slot");
    }
    if (source.checked() && source.present() && visible != null && source.status() != null && !source.status().equals(visible.status())
        && (recorded == null || Outcome.VISIBLE.equals(recorded.outcome()))) {
      return new TraceVerdict(Outcome.NOT_CAPTURED, "visible at version " + visible.version() + " (" + visible.status() + "), but the issuing "
          + "database changed it to " + source.status() + " at " + source.changedAt() + " and that change is not captured yet; "
          + behind(source, now), "wait: capture is running behind; if this persists, check ingest's health and the replication slot");
    }
    Outcome outcome = recorded == null ? Outcome.VISIBLE : recorded.outcome();
    return switch (outcome) {
      case REJECTED -> new TraceVerdict(Outcome.REJECTED, (visible == null ? "not visible: " : "visible at version " + visible.version()
          + " (" + visible.status() + "), but ") + "its latest change was rejected by validation (see rejection.violations)",
          "correct the invoice in the issuing platform (a red-letter invoice and a new one, or the fields named); it is validated again "
              + "when it changes, or re-read with 'invoice-sync resync'");
      case DEAD_LETTERED -> new TraceVerdict(Outcome.DEAD_LETTERED, (visible == null ? "not visible: " : "visible at version " + visible.version()
          + ", but ") + "a record of it could not be processed and was dead-lettered (see deadLetters)",
          "an operator fixes the cause and replays it: 'invoice-sync dlt replay --key <id>'");
      case IN_FLIGHT -> new TraceVerdict(Outcome.IN_FLIGHT, inFlight(visible, recorded),
          "wait; if it stays in flight for minutes, check the pipeline status (GET /api/v1/status)");
      default -> visible != null
          ? new TraceVerdict(Outcome.VISIBLE, "visible at version " + visible.version() + " (" + visible.status() + ") since " + visible.projectedAt(),
              "none")
          : new TraceVerdict(Outcome.IN_FLIGHT, "decided as visible, but not in the query store yet", "wait a moment and ask again");
    };
  }

  private static String inFlight(Visible visible, Recorded recorded) {
    String state = switch (AuditEvent.of(recorded.lastEvent()).orElse(AuditEvent.REPLAYED)) {
      case RETRIED -> "the query store refused it for now and the projector is retrying it";
      case AWAITING_RED -> "a red-letter invoice waiting for its blue invoice to be checked against";
      case APPLIED -> "validated as version " + recorded.latestVersion() + ", being written to the query store";
      default -> "being processed (last step: " + recorded.lastEvent() + ")";
    };
    return (visible == null ? "not visible yet: " : "visible at version " + visible.version() + "; a newer version is in flight: ") + state;
  }

  /** How long the change has waited (at least that far behind is capture), and the WAL the slot has not confirmed. */
  private static String behind(Source source, Instant now) {
    StringBuilder s = new StringBuilder("capture is ");
    if (source.changedAt() != null) {
      s.append("at least ").append(Math.max(0, Duration.between(source.changedAt(), now).toSeconds())).append(" s behind");
    } else {
      s.append("behind");
    }
    if (source.captureBehindBytes() != null) {
      s.append(" (").append(source.captureBehindBytes()).append(" bytes of WAL not yet confirmed by ingest)");
    }
    if (source.newestHandledCommit() != null) {
      s.append("; the newest change the pipeline has decided on was committed at ").append(source.newestHandledCommit());
    }
    return s.toString();
  }
}
