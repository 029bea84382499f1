package io.invoicesync.outcomes;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where an invoice stands: the one answer to "where is my invoice?". The outcome recorder keeps the
 * first four per invoice ({@code invoice_outcome.outcome}); a trace adds the two that only the
 * issuing database can tell apart. Names are published (API, CLI, tables) and stable.
 */
public enum Outcome {
  /** the newest version sync-streams applied is in the query store */
  VISIBLE,
  /** sync-streams rejected the newest change, with reasons */
  REJECTED,
  /** a stage gave the newest change up to a dead-letter topic */
  DEAD_LETTERED,
  /** decided, not yet visible: being validated, written, retried, or a red invoice awaiting its blue one */
  IN_FLIGHT,
  /** committed in the issuing database, not captured yet (trace only) */
  NOT_CAPTURED,
  /** nothing knows the invoice (trace only) */
  UNKNOWN;

  /** The outcomes the recorder keeps per invoice, and {@code GET /api/v1/invoices?outcome=} filters by. */
  public static final Set<Outcome> RECORDED = Collections.unmodifiableSet(EnumSet.of(VISIBLE, REJECTED, DEAD_LETTERED, IN_FLIGHT));
}
