package io.invoicesync.streams.internal;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Positions;
import io.invoicesync.schemas.SourcePosition;
import java.util.List;

/**
 * What the topology remembers per invoice.
 *
 * @param state      the last synced state, or null when no version was ever valid
 * @param last       source position of the last change decided on or parked
 * @param auditHead  hash of the invoice's last audit entry, or null
 * @param parked     changes waiting for a red-letter verdict, oldest first; the head is the red
 *                   invoice awaiting its verdict. Empty when nothing waits.
 */
public record StoreEntry(InvoiceState state, Position last, String auditHead, List<InvoiceChange> parked) {

  /** A source position, ordered as {@link io.invoicesync.schemas.Positions} orders them. */
  public record Position(long epoch, long lsn) implements Comparable<Position> {

    public static Position of(SourcePosition p) {
      return new Position(p.getEpoch(), p.getLsn());
    }

    @Override
    public int compareTo(Position o) {
      return Positions.compare(epoch, lsn, o.epoch, o.lsn);
    }
  }

  public StoreEntry {
    parked = List.copyOf(parked);
  }

  public StoreEntry(InvoiceState state, Position last, String auditHead) {
    this(state, last, auditHead, List.of());
  }

  /** LSN of {@link #last}. */
  public long lastLsn() {
    return last.lsn();
  }

  public boolean awaitingVerdict() {
    return !parked.isEmpty();
  }
}
