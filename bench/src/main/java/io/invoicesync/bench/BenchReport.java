package io.invoicesync.bench;

import java.time.Instant;

/**
 * Everything one bench run measured, step by step; a step that did not run ({@code --only}) is
 * null. The comparisons the targets are stated in are derived here, and only where both sides
 * were measured.
 */
record BenchReport(String mode, int backlogInvoices, long seed, CaptureStep.Result capture, EndToEndStep.Result e2e,
                   KafkaRoundTripStep.Result kafka, UpsertStep.Result upsert, PeerStep.Result peer, ReconcileStep.Result reconcile,
                   long cpuSeconds, long peakRssMb, long benchSeconds, String machine, Instant date) {

  /** Sustained end to end over the warm capture ceiling. */
  Double e2eVsCapture() {
    return capture == null || e2e == null ? null : ratio(e2e.sustainedInvoicesPerS(), capture.invoicesPerS(), 100);
  }

  /** Warm backlog end to end over the warm capture ceiling. */
  Double e2eWarmBacklogVsCapture() {
    return capture == null || e2e == null ? null : ratio(e2e.warm().invoicesPerS(), capture.invoicesPerS(), 100);
  }

  /** Like for like: both over the same kind of WAL backlog, both timed from a cold start of every stage. */
  Double e2eVsPeer() {
    return peer == null || e2e == null ? null : ratio(e2e.backlogInvoicesPerS(), peer.invoicesPerS(), 10);
  }

  Double e2eVsPeerFromFirstVisible() {
    return peer == null || e2e == null ? null : ratio(e2e.backlogSteadyInvoicesPerS(), peer.steadyInvoicesPerS(), 10);
  }

  /** p99 commit-to-visible at {@code offered} invoices/s, if that load was measured. */
  Double p99At(int offered) {
    if (e2e == null) {
      return null;
    }
    return e2e.latency().stream().filter(w -> w.offered() == offered).findFirst().map(w -> BenchRun.round(w.p99())).orElse(null);
  }

  private static Double ratio(double a, double b, int scale) {
    return b == 0 ? null : Math.round(a / b * scale) / (double) scale;
  }
}
