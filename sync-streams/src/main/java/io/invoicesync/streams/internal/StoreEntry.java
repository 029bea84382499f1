package io.invoicesync.streams.internal;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import java.util.List;

/**
 * What the topology remembers per invoice.
 *
 * @param state      the last synced state, or null when no version was ever valid
 * @param lastLsn    source position of the last change decided on or parked
 * @param auditHead  hash of the invoice's last audit entry, or null
 * @param parked     changes waiting for a red-letter verdict, oldest first; the head is the red
 *                   invoice awaiting its verdict. Empty when nothing waits.
 */
public record StoreEntry(InvoiceState state, long lastLsn, String auditHead, List<InvoiceChange> parked) {

  public StoreEntry {
    parked = List.copyOf(parked);
  }

  public StoreEntry(InvoiceState state, long lastLsn, String auditHead) {
    this(state, lastLsn, auditHead, List.of());
  }

  public boolean awaitingVerdict() {
    return !parked.isEmpty();
  }
}
