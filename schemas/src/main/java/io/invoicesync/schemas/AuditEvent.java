package io.invoicesync.schemas;

import java.util.Optional;

/**
 * What an audit entry says happened to an invoice ({@code AuditEntry.event}): the closed vocabulary
 * that sync-streams and the projector write and the outcome recorder, trace, audit and chaos read.
 * Names are published on {@code invoices.audit} and stable; a reader meets names of later releases
 * through {@link #of}, which does not throw.
 */
public enum AuditEvent {
  /** sync-streams accepted a new version (the entry's {@code version}). */
  APPLIED,
  /** sync-streams dropped a change it had seen already (detail REDELIVERY, STALE or NO_OP). */
  DEDUPLICATED,
  /** sync-streams rejected the change; the reasons are on {@code invoices.rejected}. */
  REJECTED,
  /** a red invoice waits for its blue invoice (detail: the blue invoice awaited). */
  AWAITING_RED,
  /** the projector made the version visible in the query store. */
  PROJECTED,
  /** the projector found the store already holding this version or a newer one. */
  ALREADY_CURRENT,
  /** the projector will try the version again (detail: the attempt). */
  RETRIED,
  /** a stage gave the change up to its dead-letter topic (the entry's stage says which). */
  DEAD_LETTERED,
  /** a projector report that did not decode, dead-lettered by sync-streams. */
  REPORT_DEAD_LETTERED,
  /** an operator replayed a dead letter. */
  REPLAYED;

  /** The event named {@code name}; empty for a name this release does not know (written by a later one). */
  public static Optional<AuditEvent> of(String name) {
    for (AuditEvent e : values()) {
      if (e.name().equals(name)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The event of {@code entry}; empty for a name this release does not know. */
  public static Optional<AuditEvent> of(AuditEntry entry) {
    return of(entry.getEvent());
  }

  /** True when {@code entry} records this event. */
  public boolean is(AuditEntry entry) {
    return name().equals(entry.getEvent());
  }
}
