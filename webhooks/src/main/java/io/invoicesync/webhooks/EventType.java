package io.invoicesync.webhooks;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a webhook message is about, as its {@code type} says on the wire; an endpoint subscribes to some or all. */
public enum EventType {
  /** A new version of an invoice is visible in the query store; the message carries it as the API shows it. */
  INVOICE_VISIBLE("invoice.visible"),
  /** A change of an invoice was rejected; the message carries every violation. */
  INVOICE_REJECTED("invoice.rejected"),
  /** The projector gave up on a state of an invoice: it is in the dead-letter topic, for an operator to replay. */
  INVOICE_DEAD_LETTERED("invoice.dead_lettered"),
  /** An endpoint of the same taxpayers was disabled (410 Gone, or failing for too long); operational. */
  ENDPOINT_DISABLED("endpoint.disabled"),
  /** Invoices have waited longer than the threshold to become visible (a stage down, the store refusing writes); operational. */
  SYNC_STALLED("sync.stalled"),
  /** After a {@code sync.stalled}: the pipeline caught up again; operational. */
  SYNC_RESUMED("sync.resumed"),
  /** A scheduled reconciliation found invoices MISSING, STALE or EXTRA in the query store; operational (counts only). */
  RECONCILE_FOUND("reconcile.found");

  private final String wire;

  EventType(String wire) {
    this.wire = wire;
  }

  /** The name on the wire and in subscriptions, e.g. {@code invoice.visible}. */
  public String wire() {
    return wire;
  }

  /** The type named {@code name} on the wire (case-insensitive), if there is one. */
  public static Optional<EventType> of(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(t -> t.wire.equals(n)).findFirst();
  }

  /** Operational events go only to endpoints that name them in their event types (an empty list means every invoice event). */
  public boolean operational() {
    return this == ENDPOINT_DISABLED || this == SYNC_STALLED || this == SYNC_RESUMED || this == RECONCILE_FOUND;
  }

  /** Every wire name, for messages that list what is accepted. */
  public static String names() {
    return String.join(", ", Arrays.stream(values()).map(EventType::wire).toList());
  }
}
