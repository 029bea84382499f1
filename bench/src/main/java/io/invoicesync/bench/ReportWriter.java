package io.invoicesync.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.debezium.engine.DebeziumEngine;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.AppInfoParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes a {@link BenchReport} as {@code latest.json} (flat keys, stable across versions so that
 * runs can be compared), {@code latest.md} (targets first, then every measure, the load search, CPU
 * by stage, PostgreSQL's top statements and the peer's configuration) and {@code latency.png}.
 */
final class ReportWriter {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ReportWriter() {
  }

  static String write(BenchReport r, Path out) throws Exception {
    Files.createDirectories(out);
    ObjectNode json = json(r);
    Files.writeString(out.resolve("latest.json"), JSON.writeValueAsString(json) + "\n");
    String md = markdown(r, json);
    Files.writeString(out.resolve("latest.md"), md);
    if (r.e2e() != null) {
      chart(r.e2e().latency(), out.resolve("latency.png"));
    }
    return md;
  }

  /** The report as flat JSON; the key names are those of every earlier run's {@code latest.json}. */
  static ObjectNode json(BenchReport r) {
    ObjectNode j = JSON.createObjectNode();
    j.put("mode", r.mode());
    j.put("backlog_invoices", r.backlogInvoices());
    j.put("seed", r.seed());
    if (r.capture() != null) {
      j.put("debezium_capture_invoices_per_s", r.capture().invoicesPerS());
      j.put("debezium_capture_cold_invoices_per_s", r.capture().coldInvoicesPerS());
      j.set("debezium_capture_cpu_ms_per_invoice_by_stage", JSON.valueToTree(r.capture().cpuMsPerInvoiceByStage()));
    }
    if (r.e2e() != null) {
      EndToEndStep.Result e = r.e2e();
      j.put("e2e_backlog_invoices_per_s", e.backlogInvoicesPerS());
      j.put("e2e_backlog_steady_invoices_per_s", e.backlogSteadyInvoicesPerS());
      j.set("e2e_backlog_cpu_seconds_by_stage", JSON.valueToTree(e.backlogCpuSecondsByStage()));
      for (LoadWindow w : e.latency()) {
        j.put("p50_ms_at_" + w.offered(), BenchRun.round(w.p50()));
        j.put("p95_ms_at_" + w.offered(), BenchRun.round(w.p95()));
        j.put("p99_ms_at_" + w.offered(), BenchRun.round(w.p99()));
        j.put("achieved_per_s_at_" + w.offered(), BenchRun.round(w.achieved()));
      }
      var search = j.putArray("e2e_load_search");
      for (LoadWindow w : e.loadSearch()) {
        search.addObject().put("offered_events_per_s", w.offered()).put("achieved_invoices_per_s", BenchRun.round(w.achieved()))
            .put("p50_ms_first_third", BenchRun.round(w.p50FirstThird())).put("p50_ms_last_third", BenchRun.round(w.p50LastThird()))
            .put("p99_ms", BenchRun.round(w.p99())).put("bounded", w.bounded());
      }
      j.put("e2e_invoices_per_s", e.sustainedInvoicesPerS());
      if (e.sustained() != null) {
        j.set("e2e_cpu_ms_per_invoice_by_stage", JSON.valueToTree(e.sustainedCpuMsPerInvoiceByStage()));
        j.set("e2e_postgresql_top_statements", JSON.valueToTree(e.sustained().topStatements()));
      }
      j.put("e2e_warm_backlog_invoices_per_s", e.warm().invoicesPerS());
      j.put("e2e_warm_backlog_incl_ingest_restart_invoices_per_s", e.warm().inclIngestRestartPerS());
      j.set("e2e_warm_backlog_cpu_ms_per_invoice_by_stage", JSON.valueToTree(e.warm().cpuMsPerInvoiceByStage()));
    }
    if (r.kafka() != null) {
      j.put("kafka_roundtrip_records_per_s", r.kafka().recordsPerS());
      j.put("kafka_roundtrip_record_bytes", r.kafka().recordBytes());
    }
    if (r.upsert() != null) {
      j.put("upsert_invoices_per_s", r.upsert().invoicesPerS());
    }
    if (r.peer() != null) {
      PeerStep.Result p = r.peer();
      j.set("peer_config", JSON.valueToTree(p.configs()));
      if (p.incomplete() != null) {
        j.put("peer_incomplete", p.incomplete());
      }
      j.put("peer_invoices_per_s", p.invoicesPerS());
      j.put("peer_steady_invoices_per_s", p.steadyInvoicesPerS());
      j.put("peer_rows_per_s", p.rowsPerS());
      j.put("peer_cpu_seconds", p.cpuSeconds());
      if (p.postgresqlCpuSeconds() != null) {
        j.put("peer_postgresql_cpu_seconds", p.postgresqlCpuSeconds());
      }
      j.put("peer_peak_rss_mb", p.peakRssMb());
    }
    if (r.reconcile() != null) {
      ReconcileStep.Result c = r.reconcile();
      j.put("reconcile_fill_seconds", c.fillSeconds());
      j.put("reconcile_invoices", c.invoices());
      j.put("reconcile_1m_equal_seconds", c.equalMedianSeconds());
      j.set("reconcile_1m_equal_seconds_runs", JSON.valueToTree(c.equalSeconds()));
      j.put("reconcile_1m_seconds", c.plantedMedianSeconds());
      j.set("reconcile_1m_seconds_runs", JSON.valueToTree(c.plantedSeconds()));
      j.set("reconcile_1m_found", JSON.valueToTree(c.found()));
      j.put("reconcile_1m_buckets", c.buckets());
      j.put("reconcile_1m_invoices_compared", c.invoicesCompared());
    }
    j.put("cpu_seconds", r.cpuSeconds());
    j.put("peak_rss_mb", r.peakRssMb());
    putIfMeasured(j, "e2e_vs_capture", r.e2eVsCapture());
    putIfMeasured(j, "e2e_warm_backlog_vs_capture", r.e2eWarmBacklogVsCapture());
    putIfMeasured(j, "e2e_vs_peer", r.e2eVsPeer());
    putIfMeasured(j, "e2e_vs_peer_from_first_visible", r.e2eVsPeerFromFirstVisible());
    j.put("bench_seconds", r.benchSeconds());
    j.put("machine", r.machine());
    j.put("date", r.date().toString());
    return j;
  }

  private static void putIfMeasured(ObjectNode j, String key, Double value) {
    if (value != null) {
      j.put(key, value);
    }
  }

  private static String markdown(BenchReport r, ObjectNode json) {
    StringBuilder md = new StringBuilder("# invoice-sync bench (" + r.mode() + ")\n\n");
    md.append("Machine: ").append(r.machine()).append(", ").append(r.date()).append(". Everything in one box: ")
        .append("PostgreSQL (issuing DB and query store), the Kafka broker, every pipeline stage and the load generator share its cores.\n\n");
    md.append(targets(r));
    md.append("\n| measure | value |\n|---|---|\n");
    json.properties().forEach(e -> {
      if (e.getValue().isValueNode() && !e.getKey().equals("machine") && !e.getKey().equals("date")) {
        md.append("| ").append(e.getKey()).append(" | ").append(e.getValue().asText()).append(" |\n");
      }
    });
    md.append("\nLatency: source commit timestamp to the projector's commit time recorded with the row (`projected_at`).\n");
    md.append("![latency](latency.png)\n");
    if (r.e2e() != null) {
      md.append("\n## Load search (sustained end to end)\n\n| offered events/s | achieved invoices/s | p50 first third ms | p50 last third ms | p99 ms | bounded |\n|---|---|---|---|---|---|\n");
      for (LoadWindow w : r.e2e().loadSearch()) {
        md.append(String.format("| %d | %.1f | %.1f | %.1f | %.1f | %s |%n", w.offered(), w.achieved(), w.p50FirstThird(), w.p50LastThird(), w.p99(),
            w.bounded()));
      }
    }
    md.append(cpuTable(r));
    if (r.e2e() != null && r.e2e().sustained() != null) {
      md.append("\n## PostgreSQL's top statements at the sustained load (pg_stat_statements)\n\n");
      r.e2e().sustained().topStatements().forEach(t -> md.append("- ").append(t).append('\n'));
    }
    if (r.peer() != null) {
      md.append("\n## The peer's configuration (Kafka Connect standalone ").append(AppInfoParser.getVersion()).append(", Debezium ")
          .append(DebeziumEngine.class.getPackage().getImplementationVersion()).append("), as run\n");
      r.peer().configs().forEach((file, props) -> {
        md.append("\n`").append(file).append("`\n```properties\n");
        props.forEach((k, v) -> md.append(k).append('=').append(v).append('\n'));
        md.append("```\n");
      });
    }
    return md.toString();
  }

  /** The targets of issue 6 (throughput, latency, memory) and issue 11 (reconcile) against this run. */
  private static String targets(BenchReport r) {
    StringBuilder t = new StringBuilder("| target | this run | |\n|---|---|---|\n");
    target(t, "end to end >= 75% of the Debezium capture ceiling (sustained / warm capture)", r.e2eVsCapture(), 0.75, true);
    target(t, "end to end >= 5x the peer (same backlog, both from a cold start)", r.e2eVsPeer(), 5, true);
    target(t, "p99 commit-to-visible <= 500 ms at 1,000/s offered", r.p99At(1000), 500, false);
    target(t, "peak RSS of the process hosting the pipeline <= 1.5 GiB (MB)", (double) r.peakRssMb(), 1536, false);
    target(t, "reconcile 1,000,000 invoices with 100 planted differences <= 15 s (median of 3)",
        r.reconcile() == null ? null : r.reconcile().plantedMedianSeconds(), 15, false);
    target(t, "reconcile 1,000,000 equal invoices <= 10 s (median of 3)", r.reconcile() == null ? null : r.reconcile().equalMedianSeconds(), 10, false);
    return t.toString();
  }

  private static void target(StringBuilder t, String name, Double value, double limit, boolean atLeast) {
    String verdict = value == null ? "not measured" : (atLeast ? value >= limit : value <= limit) ? "met" : "MISSED";
    t.append("| ").append(name).append(" | ").append(value == null ? "-" : value).append(" | ").append(verdict).append(" |\n");
  }

  /** CPU per invoice by stage, side by side: capture alone, the sustained load, the warm backlog. */
  private static String cpuTable(BenchReport r) {
    List<Map<String, Double>> cols = List.of(
        r.capture() == null ? Map.of() : r.capture().cpuMsPerInvoiceByStage(),
        r.e2e() == null ? Map.of() : r.e2e().sustainedCpuMsPerInvoiceByStage(),
        r.e2e() == null ? Map.of() : r.e2e().warm().cpuMsPerInvoiceByStage());
    Set<String> stages = new LinkedHashSet<>();
    cols.forEach(c -> stages.addAll(c.keySet()));
    if (stages.isEmpty()) {
      return "";
    }
    StringBuilder t = new StringBuilder("\n## CPU ms per invoice, by stage\n\n| stage | capture alone | sustained end to end | warm backlog end to end |\n|---|---|---|---|\n");
    for (String stage : stages) {
      t.append("| ").append(stage);
      for (Map<String, Double> c : cols) {
        Double v = c.get(stage);
        t.append(" | ").append(v == null ? "" : v);
      }
      t.append(" |\n");
    }
    return t.toString();
  }

  /** Commit-to-visible p50/p95/p99 against the offered load, drawn by XChart. */
  static void chart(List<LoadWindow> latency, Path png) throws Exception {
    XYChart chart = new XYChartBuilder().width(640).height(400).title("commit-to-visible latency vs offered load")
        .xAxisTitle("offered load (issuing events/s)").yAxisTitle("latency (ms)").build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    double[] x = latency.stream().mapToDouble(LoadWindow::offered).toArray();
    chart.addSeries("p50", x, latency.stream().mapToDouble(LoadWindow::p50).toArray()).setMarker(SeriesMarkers.CIRCLE);
    chart.addSeries("p95", x, latency.stream().mapToDouble(LoadWindow::p95).toArray()).setMarker(SeriesMarkers.CIRCLE);
    chart.addSeries("p99", x, latency.stream().mapToDouble(LoadWindow::p99).toArray()).setMarker(SeriesMarkers.CIRCLE);
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
