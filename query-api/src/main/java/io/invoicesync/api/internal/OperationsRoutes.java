package io.invoicesync.api.internal;

import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.trace.PipelineStatus;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * How the pipeline and the API are doing: freshness and counts ({@code GET /api/v1/status}, the
 * caller's counts), the newest scheduled reconciliation ({@code GET /api/v1/reconcile/last}), health
 * ({@code GET /health}, public, 200 or 503) and Prometheus metrics ({@code GET /metrics}).
 */
public final class OperationsRoutes {

  /** {@code GET /health}: UP only when the query store and every component are. */
  public record Health(String status, Map<String, String> components) {
  }

  private final PipelineStatus pipeline;
  private final PrometheusMeterRegistry metrics;
  private final BooleanSupplier storeAnswers;
  private final Map<String, BooleanSupplier> healthChecks;

  /**
   * @param storeAnswers whether the query store answers now (on a connection of its own)
   * @param healthChecks components whose health {@code /health} reports besides the query store (name to check)
   */
  public OperationsRoutes(PipelineStatus pipeline, PrometheusMeterRegistry metrics, BooleanSupplier storeAnswers,
                          Map<String, BooleanSupplier> healthChecks) {
    this.pipeline = pipeline;
    this.metrics = metrics;
    this.storeAnswers = storeAnswers;
    this.healthChecks = Map.copyOf(healthChecks);
  }

  public void register(RouteTable routes) {
    routes.add(RouteTable.Route.get("/api/v1/status", Scope.INVOICES_READ, "operations", "Freshness per stage, lag, and the token's "
        + "invoices counted by outcome"), ctx -> ctx.json(pipeline.status(ApiSecurity.caller(ctx).tenant())));
    routes.add(RouteTable.Route.get("/api/v1/reconcile/last", Scope.OPERATIONS, "operations", "The newest scheduled reconciliation's "
        + "report (needs a token for every taxpayer)"), this::lastReconcile);
    routes.add(RouteTable.Route.get("/health", Scope.PUBLIC, "operations", "UP or DOWN: the query store and each component "
        + "(200 or 503), nothing else").lenient(), this::health);
    routes.add(RouteTable.Route.get("/metrics", Scope.OPERATIONS, "operations", "Prometheus metrics (text format)")
        .answers(200, "text/plain").lenient(), ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
  }

  private void lastReconcile(Context ctx) throws Exception {
    String report = pipeline.lastReconcile().orElseThrow(() -> new ProblemException(404, "No reconciliation yet", "no scheduled "
        + "reconciliation has been recorded; set reconcile.interval (e.g. 5m) on the process running the projector, or run "
        + "'invoice-sync reconcile'", List.of()));
    ctx.contentType("application/json").result(report); // stored as JSON already (Reconciler.Report.toJson)
  }

  private void health(Context ctx) {
    Map<String, String> components = new LinkedHashMap<>();
    boolean up = storeAnswers.getAsBoolean();
    components.put("queryStore", up ? "UP" : "DOWN");
    for (Map.Entry<String, BooleanSupplier> e : healthChecks.entrySet()) {
      boolean ok = e.getValue().getAsBoolean();
      components.put(e.getKey(), ok ? "UP" : "DOWN");
      up &= ok;
    }
    ctx.status(up ? 200 : 503).json(new Health(up ? "UP" : "DOWN", components));
  }
}
