package io.invoicesync.bench;

import io.invoicesync.testkit.GitState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything one bench run measured, step by step; a step that did not run ({@code --only}, or
 * e2e50k in a quick run) is null. The comparisons the targets are stated in are derived here, and
 * only where both sides were measured.
 */
record BenchReport(String mode, int backlogInvoices, long seed, CaptureStep.Result capture, EndToEndStep.Result e2e,
                   KafkaRoundTripStep.Result kafka, UpsertStep.Result upsert, PeerStep.Result peer, ReconcileStep.Result reconcile,
                   StartupStep.Result startup, Backlog50kStep.Result e2e50k, HistoryStep.Result history,
                   long cpuSeconds, long peakRssMb, long benchSeconds, String machine, GitState git, Instant date,
                   AgainstStep.Result against, WebhookStep.Result webhooks) {

  /** A run without step against and webhooks (they run only when named). */
  BenchReport(String mode, int backlogInvoices, long seed, CaptureStep.Result capture, EndToEndStep.Result e2e,
              KafkaRoundTripStep.Result kafka, UpsertStep.Result upsert, PeerStep.Result peer, ReconcileStep.Result reconcile,
              StartupStep.Result startup, Backlog50kStep.Result e2e50k, HistoryStep.Result history,
              long cpuSeconds, long peakRssMb, long benchSeconds, String machine, GitState git, Instant date) {
    this(mode, backlogInvoices, seed, capture, e2e, kafka, upsert, peer, reconcile, startup, e2e50k, history, cpuSeconds, peakRssMb, benchSeconds,
        machine, git, date, null, null);
  }

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

  /** Over a 50,000-invoice cold backlog (step e2e50k), both from a cold start; null unless that step ran. */
  Double e2eVsPeer50k() {
    return e2e50k == null ? null : ratio(e2e50k.e2e().invoicesPerS(), e2e50k.peer().invoicesPerS(), 10);
  }

  Double e2eVsPeer50kFromFirstVisible() {
    return e2e50k == null ? null : ratio(e2e50k.e2e().steadyInvoicesPerS(), e2e50k.peer().steadyInvoicesPerS(), 10);
  }

  /** p99 commit-to-visible at {@code offered} invoices/s, if that load was measured. */
  Double p99At(int offered) {
    return latencyAt(offered).map(w -> BenchRun.round(w.p99())).orElse(null);
  }

  /** p50 commit-to-visible at {@code offered} invoices/s, if that load was measured. */
  Double p50At(int offered) {
    return latencyAt(offered).map(w -> BenchRun.round(w.p50())).orElse(null);
  }

  /** [min, median, max] of the p50s of the window's thirds at {@code offered}, empty if not measured. */
  List<Double> p50SpreadAt(int offered) {
    return latencyAt(offered).map(w -> BenchRun.spread(w.p50Thirds())).orElse(List.of());
  }

  List<Double> p99SpreadAt(int offered) {
    return latencyAt(offered).map(w -> BenchRun.spread(w.p99Thirds())).orElse(List.of());
  }

  private Optional<LoadWindow> latencyAt(int offered) {
    return e2e == null ? Optional.empty() : e2e.latency().stream().filter(w -> w.offered() == offered).findFirst();
  }

  /** CPU ms per invoice of the pipeline's own stages in the warm backlog. */
  Double cpuMsPerInvoicePipeline() {
    return e2e == null ? null : e2e.warm().pipelineCpuMsPerInvoice();
  }

  /** Median over the start-up runs. */
  Double firstVisibleSeconds() {
    return startup == null ? null : startup.firstVisibleSeconds();
  }

  private static Double ratio(double a, double b, int scale) {
    return b == 0 ? null : Math.round(a / b * scale) / (double) scale;
  }
}
