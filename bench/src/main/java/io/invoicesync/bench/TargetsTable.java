package io.invoicesync.bench;
import java.util.List;
import java.util.Locale;

/** The targets table of a bench report: each issue's target against this run, met or MISSED, with its spread. */
final class TargetsTable {

  private TargetsTable() {
  }

  /** The targets of issue 6 (throughput, latency, memory), issue 11 (reconcile) and issue 23 (peer, CPU, latency, start-up) against this run. */
  static String of(BenchReport r) {
    StringBuilder t = new StringBuilder("| target | this run | |\n|---|---|---|\n");
    target(t, "end to end >= 75% of the Debezium capture ceiling (sustained / warm capture)", r.e2eVsCapture(), 0.75, true);
    target(t, "end to end >= 5x the peer (same backlog, both from a cold start)", r.e2eVsPeer(), 5, true);
    target(t, "end to end >= 5x the peer from each side's first visible invoice (e2e_vs_peer_from_first_visible)",
        r.e2eVsPeerFromFirstVisible(), 5, true);
    target(t, "end to end >= 5x the peer on a 50,000-invoice cold backlog (e2e_vs_peer_50k)", r.e2eVsPeer50k(), "", 5, true,
        r.e2e50k() == null ? "not measured: a quick run leaves step e2e50k out (full mode, or --only=e2e50k)" : null);
    target(t, "CPU of the pipeline's own stages <= 0.25 ms per invoice, warm backlog (cpu_ms_per_invoice_pipeline)",
        r.cpuMsPerInvoicePipeline(), 0.25, false);
    target(t, "p50 commit-to-visible <= 60 ms at 200/s offered", r.p50At(200), thirds(r.p50SpreadAt(200)), 60, false, null);
    target(t, "p99 commit-to-visible <= 250 ms at 200/s offered", r.p99At(200), thirds(r.p99SpreadAt(200)), 250, false, null);
    target(t, "p99 commit-to-visible <= 500 ms at 1,000/s offered", r.p99At(1000), thirds(r.p99SpreadAt(1000)), 500, false, null);
    target(t, "first invoice visible <= 4 s after a fresh pipeline's start, the demo's JVM options (first_visible_s)", r.firstVisibleSeconds(),
        r.startup() == null ? "" : runs(r.startup().firstVisible()), 4, false, null);
    target(t, "peak RSS of the demo's JVM at 1,000/s <= 1 GiB (MB; demo_peak_rss_mb_at_1000)",
        r.startup() == null ? null : r.startup().demoPeakRssMbAtLoad(), 1024, false);
    target(t, "peak RSS of the process hosting the pipeline <= 1.5 GiB (MB)", (double) r.peakRssMb(), 1536, false);
    target(t, "reconcile 1,000,000 invoices with 100 planted differences <= 15 s (median of 3)",
        r.reconcile() == null ? null : r.reconcile().plantedMedianSeconds(), 15, false);
    target(t, "reconcile 1,000,000 equal invoices <= 10 s (median of 3)", r.reconcile() == null ? null : r.reconcile().equalMedianSeconds(), 10, false);
    return t.toString();
  }

  private static void target(StringBuilder t, String name, Double value, double limit, boolean atLeast) {
    target(t, name, value, "", limit, atLeast, null);
  }

  /** A target's row: the value (and its spread, if any), met or MISSED, or why it was not measured. */
  private static void target(StringBuilder t, String name, Double value, String spread, double limit, boolean atLeast, String notMeasured) {
    String verdict = value == null ? (notMeasured == null ? "not measured" : notMeasured)
        : (atLeast ? value >= limit : value <= limit) ? "met" : "MISSED";
    t.append("| ").append(name).append(" | ").append(value == null ? "-" : value + spread).append(" | ").append(verdict).append(" |\n");
  }

  /** " (thirds min-max)" of a [min, median, max] spread of a window's thirds, or "". */
  private static String thirds(List<Double> spread) {
    return spread.isEmpty() ? "" : String.format(Locale.ROOT, " (window's thirds %.1f-%.1f)", spread.get(0), spread.get(2));
  }

  /** " (median of n runs, min-max)" or "" for one run. */
  private static String runs(List<Double> values) {
    if (values.size() < 2) {
      return " (one run)";
    }
    List<Double> sp = BenchRun.spread(values);
    return String.format(Locale.ROOT, " (median of %d runs, %.2f-%.2f)", values.size(), sp.get(0), sp.get(2));
  }
}
