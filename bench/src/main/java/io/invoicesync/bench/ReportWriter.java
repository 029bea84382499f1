package io.invoicesync.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.debezium.engine.DebeziumEngine;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
      j.put("e2e_backlog_first_visible_s", e.backlogFirstVisibleSeconds());
      j.put("e2e_jit_warmup_s", e.jitWarmupSeconds());
      j.put("e2e_jit_settled", e.jitSettled());
      for (LoadWindow w : e.latency()) {
        j.put("jit_compiler_cpu_s_at_" + w.offered(), BenchRun.round(w.cpuSeconds().getOrDefault("jvm JIT compiler", 0.0)));
        j.put("p50_ms_at_" + w.offered(), BenchRun.round(w.p50()));
        j.put("p95_ms_at_" + w.offered(), BenchRun.round(w.p95()));
        j.put("p99_ms_at_" + w.offered(), BenchRun.round(w.p99()));
        j.put("achieved_per_s_at_" + w.offered(), BenchRun.round(w.achieved()));
        putSpread(j, "p50_ms_at_" + w.offered(), BenchRun.spread(w.p50Thirds()), "_median_of_thirds");
        putSpread(j, "p99_ms_at_" + w.offered(), BenchRun.spread(w.p99Thirds()), "_median_of_thirds");
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
      j.put("cpu_ms_per_invoice_pipeline", e.warm().pipelineCpuMsPerInvoice());
      KafkaWrites k = e.warm().kafka();
      if (k != null) {
        j.put("kafka_records_per_invoice", k.perInvoice());
        putIfMeasured(j, "kafka_records_per_captured_change", k.perCapturedChange());
        j.set("kafka_records_per_invoice_by_topic", JSON.valueToTree(k.perInvoiceByTopic()));
      }
      StoreWrites st = e.warm().store();
      if (st != null) {
        j.put("store_statements_per_invoice", st.statementsPerInvoice());
        j.put("store_rows_written_per_invoice", st.rowsWrittenPerInvoice());
        j.put("store_reads_per_invoice", st.readsPerInvoice());
        j.put("store_transactions_per_invoice", st.transactionsPerInvoice());
        j.set("store_statements_top", JSON.valueToTree(st.top()));
        if (st.evicted() > 0) {
          j.put("store_statements_evicted", st.evicted());
        }
      }
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
    if (r.e2e50k() != null) {
      Backlog50kStep.Result b = r.e2e50k();
      j.put("e2e_backlog_50k_invoices_per_s", b.e2e().invoicesPerS());
      j.put("e2e_backlog_50k_steady_invoices_per_s", b.e2e().steadyInvoicesPerS());
      j.put("e2e_backlog_50k_first_visible_s", b.e2e().firstVisibleSeconds());
      j.set("e2e_backlog_50k_cpu_seconds_by_stage", JSON.valueToTree(b.e2e().cpuSecondsByStage()));
      j.put("peer_50k_invoices_per_s", b.peer().invoicesPerS());
      j.put("peer_50k_steady_invoices_per_s", b.peer().steadyInvoicesPerS());
      j.put("peer_50k_cpu_seconds", b.peer().cpuSeconds());
      if (b.peer().incomplete() != null) {
        j.put("peer_50k_incomplete", b.peer().incomplete());
      }
    }
    if (r.history() != null) {
      HistoryStep.Result h = r.history();
      j.put("history_invoices", h.invoices());
      j.put("history_lines", h.lines());
      j.put("history_seconds", h.seconds());
      if (h.invoices() == 1_000_000) {
        j.put("history_1m_seconds", h.seconds());
      }
      j.put("history_invoices_per_s", h.invoicesPerS());
      if (h.peerSeconds() != null) {
        j.put("history_peer_snapshot_seconds", h.peerSeconds());
        j.put("history_vs_peer", h.ratio());
      } else {
        j.put("history_peer_incomplete", h.peer().incomplete());
      }
      j.put("history_peer_cpu_seconds", h.peer().cpuSeconds());
    }
    if (r.against() != null) {
      AgainstStep.Result a = r.against();
      j.put("against_invoices", a.invoices());
      j.put("reconcile_against_200k_seconds", a.medianSeconds());
      a.seconds().forEach(j.putArray("reconcile_against_seconds_runs")::add);
      ObjectNode found = j.putObject("against_found");
      a.found().forEach((k, v) -> found.put(k.name(), v));
      j.put("import_200k_dry_run_seconds", a.importSeconds());
      j.put("import_200k_peak_rss_mb", a.importPeakRssMb());
      j.put("import_heap_mb", a.importHeapMb());
    }
    if (r.webhooks() != null) {
      WebhookStep.Result w = r.webhooks();
      j.put("webhook_p50_ms_at_200", w.commitToDeliveredMs().get(0));
      j.put("webhook_p95_ms_at_200", w.commitToDeliveredMs().get(1));
      j.put("webhook_p99_ms_at_200", w.p99());
      j.set("webhook_p99_ms_at_200_thirds", JSON.valueToTree(w.p99Thirds()));
      j.set("webhook_visible_to_delivered_ms_p50_p95_p99", JSON.valueToTree(w.visibleToDeliveredMs()));
      j.put("webhook_delivered_in_window", w.delivered());
      j.put("webhook_burst_invoices", w.burstInvoices());
      j.put("webhook_burst_deliveries_per_s", w.burstDeliveriesPerS());
      j.set("webhook_cold_ms_p50_p95_p99", JSON.valueToTree(w.coldCommitToDeliveredMs()));
      j.put("webhook_p99_ms_at_200_cold", w.coldCommitToDeliveredMs().get(2));
      j.put("webhook_warmup_s", w.warmupSeconds());
      j.put("webhook_jit_settled", w.jitSettled());
      j.set("webhook_legs_ms_p50_p95_p99", JSON.valueToTree(w.legsMs()));
      j.set("webhook_cpu_ms_per_invoice", JSON.valueToTree(w.cpuMsPerInvoice()));
    }
    if (r.startup() != null) {
      StartupStep.Result u = r.startup();
      j.put("first_visible_s", u.firstVisibleSeconds());
      if (u.runs().size() > 1) {
        List<Double> sp = BenchRun.spread(u.firstVisible());
        j.set("first_visible_s_spread", JSON.valueToTree(List.of(sp.get(0), sp.get(2))));
      }
      j.set("first_visible_s_runs", JSON.valueToTree(u.firstVisible()));
      j.put("first_visible_embedded_infra_start_s", u.infraStartSeconds());
      var runs = j.putArray("first_visible_phases_s");
      u.runs().forEach(run -> runs.add(JSON.valueToTree(run.phases())));
      j.put("first_visible_java_options", u.javaOptions());
      if (u.archiving() != null) {
        j.put("first_visible_s_archiving_run", u.archiving().firstVisibleSeconds());
      }
      if (u.demoPeakRssMbAtLoad() != null) {
        j.put("demo_peak_rss_mb_at_1000", u.demoPeakRssMbAtLoad());
        j.set("demo_load_phases", JSON.valueToTree(u.loaded().phases()));
      }
      if (u.firstVisibleSecondsFullJit() != null) {
        j.put("first_visible_s_full_jit", u.firstVisibleSecondsFullJit());
        j.set("first_visible_s_full_jit_runs", JSON.valueToTree(u.firstVisibleFullJit()));
        j.put("first_visible_full_jit_java_options", u.fullJitJavaOptions());
      }
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
    putIfMeasured(j, "e2e_vs_peer_50k", r.e2eVsPeer50k());
    putIfMeasured(j, "e2e_vs_peer_50k_from_first_visible", r.e2eVsPeer50kFromFirstVisible());
    j.put("bench_seconds", r.benchSeconds());
    j.put("commit", r.git().commit());
    if (r.git().dirty() != null) {
      j.put("tree_dirty", r.git().dirty());
      j.set("tree_dirty_paths", JSON.valueToTree(r.git().changed()));
    }
    j.put("machine", r.machine());
    j.put("date", r.date().toString());
    return j;
  }

  private static void putIfMeasured(ObjectNode j, String key, Double value) {
    if (value != null) {
      j.put(key, value);
    }
  }

  /** {@code key_spread}: [min, max], and {@code key + medianSuffix}: the median, of a [min, median, max] spread; nothing when empty. */
  private static void putSpread(ObjectNode j, String key, List<Double> spread, String medianSuffix) {
    if (spread.isEmpty()) {
      return;
    }
    j.set(key + "_spread", JSON.valueToTree(List.of(BenchRun.round(spread.get(0)), BenchRun.round(spread.get(2)))));
    j.put(key + medianSuffix, BenchRun.round(spread.get(1)));
  }

  private static String markdown(BenchReport r, ObjectNode json) {
    StringBuilder md = new StringBuilder("# invoice-sync bench (" + r.mode() + ")\n\n");
    md.append("Machine: ").append(r.machine()).append(", ").append(r.date()).append(". Everything in one box: ")
        .append("PostgreSQL (issuing DB and query store), the Kafka broker, every pipeline stage and the load generator share its cores.\n\n");
    md.append("Commit ").append(r.git().commit()).append(r.git().dirty() == null ? " (whether the tree had changes: unknown)"
        : r.git().dirty() ? " with uncommitted changes in the tree (" + String.join(", ", r.git().changed()) + ")" : ", clean tree").append(".\n\n");
    md.append(TargetsTable.of(r));
    md.append("\n| measure | value |\n|---|---|\n");
    Set<String> header = Set.of("machine", "date", "commit", "tree_dirty", "tree_dirty_paths");
    json.properties().forEach(e -> {
      boolean numbers = e.getValue().isArray() && e.getValue().size() > 0 && e.getValue().get(0).isNumber();
      if ((e.getValue().isValueNode() || numbers) && !header.contains(e.getKey())) {
        md.append("| ").append(e.getKey()).append(" | ").append(numbers ? e.getValue().toString() : e.getValue().asText()).append(" |\n");
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
    md.append(budget(r));
    md.append(startup(r));
    md.append(backlog50k(r));
    md.append(history(r));
    md.append(against(r));
    md.append(webhooks(r));
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

  /** The per-invoice budget of the warm backlog: Kafka records by topic, query-store statements and rows. */
  private static String budget(BenchReport r) {
    if (r.e2e() == null) {
      return "";
    }
    EndToEndStep.WarmBacklog w = r.e2e().warm();
    StringBuilder md = new StringBuilder("\n## Per-invoice budget (the warm backlog window)\n\n");
    md.append("Taken over the warm backlog (every stage warm, no generator running): from just before ingest restarts until the pipeline is ")
        .append("idle again after the last invoice, divided by the invoices issued into it. CPU of the pipeline's own stages: ")
        .append(w.pipelineCpuMsPerInvoice()).append(" ms per invoice (`cpu_ms_per_invoice_pipeline`; which groups count: bench/README.md).\n");
    KafkaWrites k = w.kafka();
    if (k == null) {
      md.append("\nKafka records: not measured (the end offsets could not be read; see the bench's log).\n");
    } else {
      md.append(String.format(Locale.ROOT, "%nKafka records written: **%.2f per invoice** (`kafka_records_per_invoice`; %d records for %d invoices",
          k.perInvoice(), k.total(), k.invoices()));
      if (k.perCapturedChange() != null) {
        md.append(String.format(Locale.ROOT, ", %.2f per captured change over %d changes", k.perCapturedChange(), k.capturedChanges()));
      }
      md.append("): end offsets of every partition of every topic, internal ones and transaction markers included.\n\n")
          .append("| topic | records | per invoice |\n|---|---|---|\n");
      k.recordsByTopic().forEach((topic, n) -> md.append(String.format(Locale.ROOT, "| %s | %d | %.3f |%n", topic, n, n / (double) Math.max(1,
          k.invoices()))));
    }
    StoreWrites s = w.store();
    if (s == null) {
      md.append("\nQuery store: not measured (pg_stat_statements could not be read; see the bench's log).\n");
    } else {
      md.append(String.format(Locale.ROOT, "%nQuery store (`querystore`, pg_stat_statements): **%.3f statements** (`store_statements_per_invoice`: "
              + "top-level, neither reads nor BEGIN/COMMIT) and **%.3f rows written** (`store_rows_written_per_invoice`) per invoice; "
              + "%.3f reads and %.3f transactions per invoice.%s%n%n", s.statementsPerInvoice(), s.rowsWrittenPerInvoice(), s.readsPerInvoice(),
          s.transactionsPerInvoice(), s.evicted() > 0 ? " pg_stat_statements evicted " + s.evicted() + " entries in the window: "
              + "the counts are short by theirs." : ""));
      s.top().forEach(line -> md.append("- ").append(line).append('\n'));
    }
    return md.toString();
  }

  /** The start-up runs, milestone by milestone. */
  private static String startup(BenchReport r) {
    if (r.startup() == null) {
      return "";
    }
    StringBuilder md = new StringBuilder("\n## First visible invoice after a fresh start (step startup)\n\n");
    md.append("Each run: fresh embedded PostgreSQL and Kafka (new data directories) started in the bench's JVM and the issuing platform's ")
        .append("schema created (neither counted); then, in a new JVM (").append(r.startup().javaOptions()).append("), from its `main`: the ")
        .append("`new Pipeline(every component, the demo's configuration).start()` (as the demo, it migrates the query store beside ")
        .append("its Kafka stages' start), the wait for ingest ")
        .append("streaming and sync-streams running (the demo waits for both before its generator starts), the demo's generator (50/s), ")
        .append("until the first invoice is visible in the query store (10 ms poll).")
        .append(r.startup().archiving() == null ? "" : " Before them, run 0 (not counted) archived the classes it loaded at its exit "
            + "(AppCDS, as bin/invoice-sync's first `demo` or `run` does); the counted runs map that archive.")
        .append(r.startup().fullJitRuns().isEmpty() ? "" : " The rows marked \"run's JVM options\" start the same way with `run`'s options ("
            + r.startup().fullJitJavaOptions() + ": both JIT compilers, as a deployment runs; `first_visible_s_full_jit`), to show what "
            + "the demo's C1-only start saves.")
        .append(" Seconds from `main`; the JVM's CPU seconds (every thread) and its JIT compilers' seconds until the first invoice was visible:\n\n")
        .append("| run | pipeline started | ingest streaming | streams running | first commit | **first visible** | ")
        .append("its commit-to-visible ms | JVM start to main s | CPU s | JIT compilers s | embedded infra start s (not counted) | peak RSS MB |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    List<StartupStep.Run> runs = new ArrayList<>();
    if (r.startup().archiving() != null) {
      runs.add(r.startup().archiving());
    }
    runs.addAll(r.startup().runs());
    runs.addAll(r.startup().fullJitRuns());
    int i = r.startup().archiving() == null ? 0 : -1;
    int counted = r.startup().runs().size();
    for (StartupStep.Run run : runs) {
      Map<String, Double> p = run.phases();
      ++i;
      md.append("| ").append(i == 0 ? "0 (archiving, not counted)" : i <= counted ? Integer.toString(i) : (i - counted) + ", run's JVM options");
      for (String key : List.of("pipeline_started_s", "ingest_streaming_s", "streams_running_s", "first_commit_s", "first_visible_s",
          "first_commit_to_visible_ms", "jvm_start_to_main_s", "cpu_s", "jit_compiler_s")) {
        md.append(" | ").append(p.containsKey(key) ? p.get(key) : "-");
      }
      md.append(" | ").append(run.infraStartSeconds()).append(" | ").append(p.containsKey("peak_rss_mb") ? Math.round(p.get("peak_rss_mb")) : "-")
          .append(" |\n");
    }
    StartupStep.Run loaded = r.startup().loaded();
    if (loaded != null) {
      Map<String, Double> p = loaded.phases();
      md.append(String.format(Locale.ROOT, "%nThe demo's JVM under load (`demo_peak_rss_mb_at_1000`): `invoice-sync demo --rate %.0f --duration %.0f` "
              + "on a fresh data directory, with the demo's JVM options (its Kafka broker, pipeline and generator in that JVM, PostgreSQL beside "
              + "it): peak RSS **%.0f MB** (the demo's own summary); %.0f invoices issued, %.0f visible at its end; its first invoice visible "
              + "%.1f s after the command's start (the embedded servers' start included).%n", p.getOrDefault("load_rate", 0.0),
          p.getOrDefault("load_seconds", 0.0), p.getOrDefault("peak_rss_mb_after_load", 0.0), p.getOrDefault("load_issued", 0.0),
          p.getOrDefault("load_visible", 0.0), loaded.firstVisibleSeconds()));
    }
    return md.toString();
  }

  /** The 50,000-invoice comparison, or why it is not in this run. */
  private static String backlog50k(BenchReport r) {
    if (r.e2e50k() == null) {
      return "\n`e2e_vs_peer_50k` is not in this run: step e2e50k (a 50,000-invoice cold backlog through the pipeline and through the peer) "
          + "runs in full mode, or when `--only` names it.\n";
    }
    Backlog50kStep.Result b = r.e2e50k();
    return String.format(Locale.ROOT, "%n## 50,000-invoice cold backlog (step e2e50k)%n%n| | invoices/s, cold start included | from the first visible "
            + "invoice on |%n|---|---|---|%n| end to end | %.1f | %.1f |%n| peer | %.1f | %.1f |%n| ratio | %s | %s |%n", b.e2e().invoicesPerS(),
        b.e2e().steadyInvoicesPerS(), b.peer().invoicesPerS(), b.peer().steadyInvoicesPerS(), r.e2eVsPeer50k(), r.e2eVsPeer50kFromFirstVisible())
        + (b.peer().incomplete() == null ? "" : "\nThe peer did not finish: " + b.peer().incomplete() + "\n");
  }

  /** The history load beside the peer's initial snapshot, or nothing when step history did not run. */
  private static String history(BenchReport r) {
    if (r.history() == null) {
      return "";
    }
    HistoryStep.Result h = r.history();
    return String.format(Locale.ROOT, "%n## History: %,d existing invoices (%,d lines) loaded and visible (step history)%n%n| | seconds | invoices/s |"
            + "%n|---|---|---|%n| invoice-sync `history load` (incremental snapshot, beside the stream) | %.1f | %.1f |%n"
            + "| peer: Debezium `snapshot.mode=initial` + JDBC sink | %s | %s |%n| peer's time over ours | %s | |%n", h.invoices(), h.lines(),
        h.seconds(), h.invoicesPerS(), h.peerSeconds() == null ? "did not finish" : String.format(Locale.ROOT, "%.1f", h.peerSeconds()),
        h.peerSeconds() == null ? "-" : String.format(Locale.ROOT, "%.1f", h.invoices() / h.peerSeconds()), h.ratio())
        + (h.peer().incomplete() == null ? "" : "\nThe peer did not finish: " + h.peer().incomplete() + "\n");
  }

  /** Webhook delivery, or nothing when step webhooks did not run. */
  private static String webhooks(BenchReport r) {
    if (r.webhooks() == null) {
      return "";
    }
    WebhookStep.Result w = r.webhooks();
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%n## Webhooks (step webhooks)%n%n| | value |%n|---|---|%n"
            + "| commit to delivered at %d/s offered, steady state, p50 / p95 / p99 (%d deliveries in %d s, after %.0f s of the load; the JIT "
            + "compiler %s) | %.0f / %.0f / %.0f ms (target p99 <= 300 ms; p99 of the thirds %s) |%n"
            + "| of which after the invoice was visible, p50 / p95 / p99 | %.0f / %.0f / %.0f ms |%n"
            + "| cold: the load's first %d s (after 5 s), while the JVM still compiles, p50 / p95 / p99 | %.0f / %.0f / %.0f ms |%n"
            + "| a burst of %,d invoices: deliveries per second, first to last | %.0f |%n",
        w.offered(), w.delivered(), w.windowSeconds(), w.warmupSeconds(), w.jitSettled() ? "settled" : "still busy at the warm-up's limit",
        w.commitToDeliveredMs().get(0), w.commitToDeliveredMs().get(1), w.p99(), w.p99Thirds(),
        w.visibleToDeliveredMs().get(0), w.visibleToDeliveredMs().get(1), w.visibleToDeliveredMs().get(2), w.windowSeconds(),
        w.coldCommitToDeliveredMs().get(0), w.coldCommitToDeliveredMs().get(1), w.coldCommitToDeliveredMs().get(2), w.burstInvoices(),
        w.burstDeliveriesPerS()));
    w.legsMs().forEach((leg, v) -> md.append(String.format(Locale.ROOT, "| after visible, %s (p50 / p95 / p99) | %.1f / %.1f / %.1f ms |%n", leg,
        v.get(0), v.get(1), v.get(2))));
    md.append(String.format(Locale.ROOT, "%nThe legs: fan-out = the invoice's projected_at to the commit that enqueued its message; queued = to "
        + "the first attempt's start; attempt = the POST; recorded = from its answer to delivered_at.%n%nCPU in the steady window, ms per invoice "
        + "offered: %s%n", w.cpuMsPerInvoice()));
    return md.toString();
  }

  /** reconcile --against and the streamed import, or nothing when step against did not run. */
  private static String against(BenchReport r) {
    if (r.against() == null) {
      return "";
    }
    AgainstStep.Result a = r.against();
    return String.format(Locale.ROOT, "%n## Against the platform's export: %,d invoices (step against)%n%n"
        + "| | value |%n|---|---|%n| `reconcile --against` (read the %,d-byte workbook, compare with the store), median of 3 | %.1f s (runs %s; target <= 20 s) |%n"
        + "| found (planted: %d MISSING, %d STALE, %d EXTRA) | %s |%n| `import --dry-run` of it, own JVM, -Xmx%dm | %.1f s, peak RSS %d MB |%n",
        a.invoices(), a.workbookBytes(), a.medianSeconds(), a.seconds(), AgainstStep.MISSING, AgainstStep.DIFFERENT, AgainstStep.EXTRA, a.found(),
        a.importHeapMb(), a.importSeconds(), a.importPeakRssMb());
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
    if (r.e2e() != null) {
      t.append("| **the pipeline's own stages** (`cpu_ms_per_invoice_pipeline`: all but the generator, the bench's threads and queries, ")
          .append("the issuing database's backends; unrounded) | | | **").append(r.e2e().warm().pipelineCpuMsPerInvoice()).append("** |\n");
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
