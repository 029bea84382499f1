package io.invoicesync.streams.internal;

import io.invoicesync.schemas.InvoiceState;

/**
 * What the topology remembers per invoice.
 *
 * @param state      the last synced state, or null when no version was ever valid
 * @param lastLsn    source position of the last change decided on (applied, rejected or no-op)
 * @param auditHead  hash of the invoice's last audit entry, or null
 */
public record StoreEntry(InvoiceState state, long lastLsn, String auditHead) {
}
