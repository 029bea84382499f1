package io.invoicesync.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What sync-streams counts: each outcome of a captured change, dropped ones by kind, never silently. */
public final class SyncMetrics {

  final Counter synced;
  final Counter rejected;
  final Counter deadLettered;
  final Counter droppedRedelivery;
  final Counter droppedStale;
  final Counter droppedNoOp;
  final Counter awaitingRed;
  final Counter parked;

  public SyncMetrics(MeterRegistry registry) {
    synced = counter(registry, "invoicesync.streams.synced", "changes applied as a new InvoiceState version", null);
    rejected = counter(registry, "invoicesync.streams.rejected", "changes rejected by validation", null);
    deadLettered = counter(registry, "invoicesync.streams.dead.lettered", "input records that did not deserialize", null);
    droppedRedelivery = counter(registry, "invoicesync.streams.dropped", "changes dropped as duplicates", "redelivery");
    droppedStale = counter(registry, "invoicesync.streams.dropped", "changes dropped as duplicates", "stale");
    droppedNoOp = counter(registry, "invoicesync.streams.dropped", "changes dropped as duplicates", "no_op");
    awaitingRed = counter(registry, "invoicesync.streams.red.checks", "red-letter invoices sent to the ledger for a check against their blue invoice", null);
    parked = counter(registry, "invoicesync.streams.parked", "changes parked behind a red-letter invoice awaiting its verdict", null);
  }

  private static Counter counter(MeterRegistry r, String name, String doc, String kind) {
    Counter.Builder b = Counter.builder(name).description(doc);
    if (kind != null) {
      b.tag("kind", kind);
    }
    return b.register(r);
  }

  public double synced() {
    return synced.count();
  }

  public double rejected() {
    return rejected.count();
  }

  public double deadLettered() {
    return deadLettered.count();
  }

  public double dropped(String kind) {
    return switch (kind) {
      case "redelivery" -> droppedRedelivery.count();
      case "stale" -> droppedStale.count();
      case "no_op" -> droppedNoOp.count();
      case "parked" -> parked.count();
      default -> throw new IllegalArgumentException("unknown drop kind " + kind + " (redelivery, stale, no_op)");
    };
  }
}
