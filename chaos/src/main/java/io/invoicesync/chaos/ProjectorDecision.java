package io.invoicesync.chaos;

import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.ProjectionEvent;
import java.util.Optional;

/**
 * One decision of the projector about one invoice state, as read back from {@code invoices.projection}:
 * the event, the state's version and, for a retry, the attempt. {@code version} and {@code attempt}
 * are nullable as on the wire (no version when the record did not decode; an attempt only on
 * RETRIED); {@link #toString} is the form the scenarios print: {@code RETRIED v1 attempt 1}.
 */
record ProjectorDecision(AuditEvent event, Integer version, Integer attempt) {

  /**
   * The decision {@code e} records; empty when its event has a name this release does not know (a
   * later release's): no check here is about such an event.
   */
  static Optional<ProjectorDecision> of(ProjectionEvent e) {
    return AuditEvent.of(e.getEvent()).map(event -> new ProjectorDecision(event, e.getVersion(), e.getAttempt()));
  }

  /** True when this decision is {@code event} about version {@code v}. */
  boolean is(AuditEvent event, int v) {
    return this.event == event && version != null && version == v;
  }

  @Override
  public String toString() {
    return event + " v" + version + (attempt == null ? "" : " attempt " + attempt);
  }
}
