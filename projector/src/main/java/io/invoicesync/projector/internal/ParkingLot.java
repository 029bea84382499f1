package io.invoicesync.projector.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Invoices with records waiting on the retry topic. While an invoice is parked, its later records
 * follow the waiting one onto the retry topic instead of being applied, so the store never sees an
 * invoice's states out of order. Counts per invoice: the invoice leaves the lot when the last of
 * its waiting records is settled (applied or dead-lettered).
 *
 * <p>Local to one projector instance; after a rebalance or restart the new owner parks again every
 * invoice with records still waiting on its retry partitions, before it applies anything.
 */
public final class ParkingLot {

  private final Map<String, Integer> waiting = new HashMap<>();

  /** True when an earlier record of {@code invoiceId} waits on the retry topic. */
  public boolean holds(String invoiceId) {
    return invoiceId != null && waiting.containsKey(invoiceId);
  }

  /** One more record of {@code invoiceId} now waits on the retry topic. */
  public void park(String invoiceId) {
    if (invoiceId != null) {
      waiting.merge(invoiceId, 1, Integer::sum);
    }
  }

  /** One waiting record of {@code invoiceId} was settled. */
  public void release(String invoiceId) {
    if (invoiceId != null) {
      waiting.computeIfPresent(invoiceId, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  /** Records of {@code invoiceId} waiting (0 when it is not parked). */
  public int waiting(String invoiceId) {
    return waiting.getOrDefault(invoiceId, 0);
  }

  /** Parked invoices, for the {@code invoicesync.projector.parked.invoices} gauge. */
  public int invoices() {
    return waiting.size();
  }

  public void clear() {
    waiting.clear();
  }
}
