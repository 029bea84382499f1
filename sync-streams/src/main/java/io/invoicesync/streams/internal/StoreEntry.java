package io.invoicesync.streams.internal;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.Positions;
import io.invoicesync.schemas.SourcePosition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the topology remembers per invoice.
 *
 * @param state      the last synced state, or null when no version was ever valid
 * @param last       source position of the last change decided on or parked
 * @param auditHead  hash of the invoice's last audit entry, or null
 * @param parked     changes waiting for a red-letter verdict, oldest first; the head is the red
 *                   invoice awaiting its verdict. Empty when nothing waits.
 * @param others     when several issuing sources deliver the invoice: the newest position of each source other than
 *                   {@code last}'s, so that each source's redeliveries and stale changes are recognised within that source
 *                   (positions of different sources are never compared)
 */
public record StoreEntry(InvoiceState state, Position last, String auditHead, List<InvoiceChange> parked, Map<String, Position> others) {

  /** A source position, ordered as {@link io.invoicesync.schemas.Positions} orders them, within its source. */
  public record Position(String source, long epoch, long lsn) implements Comparable<Position> {

    public Position {
      source = source == null ? "" : source;
    }

    public Position(long epoch, long lsn) {
      this("", epoch, lsn);
    }

    public static Position of(SourcePosition p) {
      return new Position(p.getName(), p.getEpoch(), p.getLsn());
    }

    /** Only positions of one source compare: callers find the same source's position first ({@link StoreEntry#positionOf}). */
    @Override
    public int compareTo(Position o) {
      if (!source.equals(o.source)) {
        throw new IllegalArgumentException("positions of sources '" + source + "' and '" + o.source + "' do not compare");
      }
      return Positions.compare(epoch, lsn, o.epoch, o.lsn);
    }
  }

  public StoreEntry {
    parked = List.copyOf(parked);
    Map<String, Position> copy = new HashMap<>(others);
    copy.remove(last.source());
    others = Map.copyOf(copy);
  }

  public StoreEntry(InvoiceState state, Position last, String auditHead, List<InvoiceChange> parked) {
    this(state, last, auditHead, parked, Map.of());
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

  /** The newest position seen from {@code source}, or null when that source never delivered this invoice. */
  public Position positionOf(String source) {
    return last.source().equals(source) ? last : others.get(source);
  }

  /** The positions of the other sources to keep when {@code next} becomes the last one: every source's newest but next's. */
  public Map<String, Position> othersAfter(Position next) {
    if (others.isEmpty() && last.source().equals(next.source())) {
      return Map.of();
    }
    Map<String, Position> m = new HashMap<>(others);
    m.put(last.source(), last);
    m.remove(next.source());
    return m;
  }
}
