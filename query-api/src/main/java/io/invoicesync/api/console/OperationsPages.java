package io.invoicesync.api.console;

import io.invoicesync.api.internal.RouteTable;
import io.invoicesync.api.internal.RouteTable.Param;
import io.invoicesync.api.internal.RouteTable.Route;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.trace.PipelineStatus;
import io.invoicesync.runtime.dlt.DeadLetter;
import io.invoicesync.runtime.dlt.Replayer;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The console's operations pages (scope {@code operations}, every taxpayer): the pipeline's status
 * and freshness, the issuing database's replication slot, the last hour as a server-drawn chart, the
 * last reconciliation and what its repair re-read, imports and webhook endpoints, and the dead
 * letters still waiting, with replay — planned, confirmed, then its result on a page of its own —
 * through {@link Replayer}, the code {@code invoice-sync dlt replay} runs too.
 */
final class OperationsPages {

  private static final Param LANG = ConsoleRoutes.LANG;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private final ConsoleRoutes console;
  private final PipelineStatus status;
  private final OperationsData operations;
  private final DataSource store;
  private final Map<String, Object> kafka;
  private final io.invoicesync.webhooks.Endpoints endpoints;
  private final boolean imports;

  /**
   * @param store     the query store (a searching pool)
   * @param kafka     the Kafka client settings dead letters are replayed with; null: replay is off
   * @param endpoints the webhook endpoints, or null
   * @param imports   whether this console has the import page (then the count of files imported shows)
   */
  OperationsPages(ConsoleRoutes console, PipelineStatus status, DataSource store, Map<String, Object> kafka,
                  io.invoicesync.webhooks.Endpoints endpoints, boolean imports) {
    this.console = console;
    this.status = status;
    this.operations = new OperationsData(store);
    this.store = store;
    this.kafka = kafka;
    this.endpoints = endpoints;
    this.imports = imports;
  }

  void register(RouteTable routes) {
    routes.add(ConsoleRoutes.html(Route.get("/console/operations", Scope.OPERATIONS, "console", "Console: pipeline status, the last hour, the last "
        + "reconciliation, dead letters waiting")).query(LANG), this::page);
    routes.add(ConsoleRoutes.html(Route.get("/console/operations/replay", Scope.OPERATIONS, "console", "Console: what replaying the chosen dead "
        + "letters would do (nothing is sent)")).query(Param.text("dl", "a dead letter's topic:partition:offset (repeated)"), LANG),
        this::planReplay);
    routes.add(Route.post("/console/operations/replay", Scope.OPERATIONS, "console", "Console: replay the confirmed dead letters, then "
        + "to the result").body(RouteTable.Body.NONE).answers(303, null).query(LANG), this::replay);
    routes.add(ConsoleRoutes.html(Route.get("/console/operations/replayed", Scope.OPERATIONS, "console", "Console: what a replay did"))
        .query(Param.integer("replayed", "how many were replayed"), Param.integer("other", "how many were refused or skipped"),
            Param.integer("chosen", "how many were chosen"), Param.text("key", "a replayed invoice (repeated)"), LANG), this::replayed);
  }

  private void page(Context ctx) throws Exception {
    Views.Page page = console.page(ctx, "ops.title", "operations");
    Texts t = page.t();
    Map<String, Object> s = status.status(ApiSecurity.caller(ctx).tenant());
    List<Views.Fact> facts = new ArrayList<>();
    if (s.get("lag") instanceof Map<?, ?> lag) {
      facts.add(new Views.Fact(t.get("ops.freshness"), seconds(lag.get("commitToVisibleSeconds"))));
      facts.add(new Views.Fact(t.get("ops.projectionBehind"), seconds(lag.get("projectionBehindSyncSeconds"))));
    }
    if (s.get("counts") instanceof Map<?, ?> counts) {
      for (String k : List.of("visible", "inFlight", "parked", "rejected", "deadLettered", "deadLetterRecords")) {
        facts.add(new Views.Fact(t.get("ops.count." + k), String.valueOf(counts.get(k))));
      }
    }
    if (s.get("source") instanceof Map<?, ?> src) {
      // the issuing database's replication slot, as capture sees it (api.source.jdbc.url), or why it is not known
      if (Boolean.TRUE.equals(src.get("checked"))) {
        facts.add(new Views.Fact(t.get("ops.source.slot"), ConsoleRoutes.str(src.get("slot")) + " · " + (Boolean.TRUE.equals(src.get("slotActive"))
            ? t.get("ops.source.active") : Boolean.TRUE.equals(src.get("slotExists")) ? t.get("ops.source.inactive") : t.get("ops.source.missing"))));
        facts.add(new Views.Fact(t.get("ops.source.behind"), ConsoleRoutes.str(src.get("captureBehindBytes")) + " B"));
      } else {
        facts.add(new Views.Fact(t.get("ops.source.slot"), ConsoleRoutes.str(src.get("note"))));
      }
    }
    List<Views.Fact> stages = new ArrayList<>();
    if (s.get("stages") instanceof Map<?, ?> st) {
      for (Map.Entry<?, ?> e : st.entrySet()) {
        if (e.getValue() instanceof Map<?, ?> m) {
          Object when = m.get("projectedAt") != null ? m.get("projectedAt") : m.get("handledAt");
          stages.add(new Views.Fact(String.valueOf(e.getKey()), t.get("ops.stage", console.time(ConsoleRoutes.str(m.get("sourceCommitTs"))), console.time(ConsoleRoutes.str(when)))));
        }
      }
    }
    List<Views.Fact> reconcile = new ArrayList<>();
    List<Views.Fact> differences = new ArrayList<>();
    Optional<String> last = status.lastReconcile();
    if (last.isPresent()) {
      Map<?, ?> r = JSON.readValue(last.get(), Map.class);
      reconcile.add(new Views.Fact(t.get("ops.reconcile.at"), console.time(ConsoleRoutes.str(r.get("startedAt")))));
      reconcile.add(new Views.Fact(t.get("ops.reconcile.ok"), Boolean.TRUE.equals(r.get("ok")) ? t.get("ops.yes") : t.get("ops.no")));
      reconcile.add(new Views.Fact(t.get("ops.reconcile.compared"), ConsoleRoutes.str(r.get("invoicesCompared"))));
      if (r.get("repair") instanceof Map<?, ?> repair) {
        reconcile.add(new Views.Fact(t.get("ops.reconcile.repaired"), t.get("ops.reconcile.repairedValue", repair.get("reread"),
            repair.get("undecided"))));
      }
      if (r.get("counts") instanceof Map<?, ?> byClass) {
        byClass.forEach((k, v) -> differences.add(new Views.Fact(String.valueOf(k), String.valueOf(v))));
      }
    }
    // the other ways invoices arrive and leave: the platform's files, and webhook endpoints
    List<Views.Fact> channels = new ArrayList<>();
    if (imports) {
      long files = io.invoicesync.outcomes.imports.ImportHistory.count(store, java.time.Duration.ofDays(90));
      channels.add(new Views.Fact(t.get("ops.imports"), t.get("ops.importsValue", files)));
    }
    if (endpoints != null) {
      List<io.invoicesync.webhooks.Endpoint> all = endpoints.list(io.invoicesync.outcomes.Tenant.ALL);
      long disabled = all.stream().filter(e -> !e.enabled()).count();
      long failing = all.stream().filter(e -> e.enabled() && e.failingSince() != null).count();
      channels.add(new Views.Fact(t.get("ops.webhooks"), t.get("ops.webhooksValue", all.size(), all.size() - disabled - failing, failing,
          disabled)));
    }
    List<Views.DeadLetterRow> waiting = new ArrayList<>();
    for (OperationsData.Waiting w : operations.waiting(50)) {
      waiting.add(new Views.DeadLetterRow(w.coordinates(), "/console/invoices/" + ConsoleRoutes.enc(w.invoiceId()), w.invoiceId(),
          w.invoiceNumber() == null ? "" : w.invoiceNumber(), ConsoleRoutes.str(w.stage()), w.error(), ConsoleRoutes.str(w.message()), console.time(w.at().toString())));
    }
    console.render(ctx, "operations.jte", page, new Views.Operations(facts, stages, chart(operations.lastHour(java.time.Instant.now()), t), reconcile,
        differences, waiting, kafka != null, channels));
  }

  /** The last hour as SVG shapes: 60 bars of visible invoices, the p95 line on its own scale, the minutes with failures marked. */
  Views.Chart chart(List<OperationsData.Minute> minutes, Texts t) {
    int left = 8;
    int top = 14;
    int plotHeight = 150;
    int barWidth = 10;
    int step = 12;
    long maxVisible = Math.max(1, minutes.stream().mapToLong(OperationsData.Minute::visible).max().orElse(1));
    double maxP95 = Math.max(0.1, minutes.stream().filter(m -> m.p95Seconds() != null).mapToDouble(OperationsData.Minute::p95Seconds).max()
        .orElse(0.1));
    List<Views.Bar> bars = new ArrayList<>();
    List<Views.Bar> failures = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    long visible = 0;
    long rejected = 0;
    long dead = 0;
    java.time.format.DateTimeFormatter hm = java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(console.zone());
    for (int i = 0; i < minutes.size(); i++) {
      OperationsData.Minute m = minutes.get(i);
      int x = left + i * step;
      int h = (int) Math.round(plotHeight * (double) m.visible() / maxVisible);
      String label = hm.format(m.start());
      bars.add(new Views.Bar(x, top + plotHeight - h, barWidth, h, t.get("ops.chart.bar", label, m.visible(),
          m.p95Seconds() == null ? "-" : String.format("%.2f", m.p95Seconds()), m.rejected(), m.deadLettered())));
      if (m.p95Seconds() != null) {
        int y = top + plotHeight - (int) Math.round(plotHeight * m.p95Seconds() / maxP95);
        line.append(line.length() == 0 ? "" : " ").append(x + barWidth / 2).append(',').append(y);
      }
      if (m.rejected() + m.deadLettered() > 0) {
        failures.add(new Views.Bar(x, 2, barWidth, 8, t.get("ops.chart.failures", label, m.rejected(), m.deadLettered())));
      }
      visible += m.visible();
      rejected += m.rejected();
      dead += m.deadLettered();
    }
    return new Views.Chart(left * 2 + minutes.size() * step, top + plotHeight + 4, bars, line.toString(), failures, maxVisible,
        String.format("%.2f", maxP95), hm.format(minutes.get(0).start()), hm.format(minutes.get(minutes.size() - 1).start()), visible,
        rejected, dead);
  }

  private void planReplay(Context ctx) throws Exception {
    Views.Page page = console.page(ctx, "ops.replay.title", "operations");
    List<String> chosen = ctx.queryParams("dl").stream().filter(v -> !v.isBlank()).distinct().toList();
    console.render(ctx, "replay.jte", page, replayOf(chosen, true, page.t(), ApiSecurity.caller(ctx)));
  }

  /** Replays, then sends the browser to the result (Post/Redirect/Get): a refresh or going back never replays again. */
  private void replay(Context ctx) throws Exception {
    ConsoleRoutes.sameOrigin(ctx);
    Views.Page page = console.page(ctx, "ops.replay.title", "operations");
    List<String> chosen = ctx.formParams("dl").stream().filter(v -> !v.isBlank()).distinct().toList();
    Views.Replay done = replayOf(chosen, false, page.t(), ApiSecurity.caller(ctx));
    if (done.error() != null && done.rows().isEmpty()) {
      console.render(ctx, "replay.jte", page, done);
      return;
    }
    StringBuilder to = new StringBuilder("/console/operations/replayed?replayed=").append(done.replayed()).append("&other=")
        .append(done.rows().size() - done.replayed()).append("&chosen=").append(chosen.size());
    done.rows().forEach(r -> to.append("&key=").append(ConsoleRoutes.enc(r.key())));
    ctx.redirect(to.toString(), io.javalin.http.HttpStatus.SEE_OTHER);
  }

  /** The result of a replay, after its redirect: what it did, and a link to each invoice. */
  private void replayed(Context ctx) {
    Views.Page page = console.page(ctx, "ops.replay.title", "operations");
    List<Views.ReplayRow> rows = ctx.queryParams("key").stream().distinct().limit(200)
        .map(k -> new Views.ReplayRow("", "/console/invoices/" + ConsoleRoutes.enc(k), k, "", "", "")).toList();
    // numbers only, in the page's words: a link cannot make the console say something it did not do
    String summary = page.t().get("ops.replay.done", number(ctx.queryParam("replayed")), number(ctx.queryParam("other")),
        number(ctx.queryParam("chosen")));
    console.render(ctx, "replay.jte", page, new Views.Replay(rows, List.of(), true, summary, null, 0));
  }

  /** The chosen dead letters (by their coordinates) planned, or replayed, through the one replay path the CLI also takes. */
  private Views.Replay replayOf(List<String> chosen, boolean dryRun, Texts t, Caller caller) throws Exception {
    if (kafka == null) {
      return new Views.Replay(List.of(), chosen, false, null, t.get("ops.replay.off"), 0);
    }
    // only dead letters the store recorded (the ones the operations page lists): no topic of the operator's choosing is read
    List<String> known = operations.known(chosen);
    if (known.isEmpty()) {
      return new Views.Replay(List.of(), chosen, false, null, t.get("ops.replay.none"), 0);
    }
    chosen = known;
    Replayer replayer = new Replayer(kafka);
    java.util.Set<String> wanted = new java.util.HashSet<>(chosen);
    java.util.Set<String> topics = new java.util.TreeSet<>();
    chosen.forEach(c -> topics.add(c.substring(0, Math.max(0, c.lastIndexOf(':', c.lastIndexOf(':') - 1)))));
    topics.removeIf(String::isBlank);
    List<DeadLetter> letters = replayer.choose(List.copyOf(topics), d -> wanted.contains(d.coordinates()));
    Replayer.Report report = replayer.replay(letters, Replayer.Options.defaults("console:" + caller.subject()).dryRun(dryRun),
        Map.of("console", chosen),
        item -> { }, line -> { });
    List<Views.ReplayRow> rows = report.items().stream().map(i -> new Views.ReplayRow(i.deadLetter(), "/console/invoices/" + ConsoleRoutes.enc(ConsoleRoutes.str(i.key())),
        ConsoleRoutes.str(i.key()), ConsoleRoutes.str(i.to()), t.get("ops.decision." + i.decision().name()), ConsoleRoutes.str(i.reason()))).toList();
    String summary = t.get(dryRun ? "ops.replay.planned" : "ops.replay.done", report.count(dryRun ? Replayer.Decision.WOULD_REPLAY
        : Replayer.Decision.REPLAYED), report.count(Replayer.Decision.REFUSED) + report.count(Replayer.Decision.SKIPPED), chosen.size());
    return new Views.Replay(rows, chosen, !dryRun, summary, letters.size() < chosen.size() ? t.get("ops.replay.missing",
        chosen.size() - letters.size()) : null, report.count(Replayer.Decision.REPLAYED));
  }

  private static long number(String v) {
    return v != null && v.matches("\\d{1,9}") ? Long.parseLong(v) : 0;
  }
  private static String seconds(Object v) {
    return v == null ? "-" : String.format("%.1f s", ((Number) v).doubleValue());
  }
}
