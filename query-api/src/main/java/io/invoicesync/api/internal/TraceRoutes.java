package io.invoicesync.api.internal;

import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.trace.InternalText;
import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.trace.TraceService;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where one invoice is and why ({@code GET /api/v1/invoices/{id}/trace}, {@link TraceService}), and
 * its audit trail with the chain verified ({@code GET /api/v1/invoices/{id}/audit}). Either answers an
 * invoice nobody knows, or another taxpayer's, with the same 404.
 */
public final class TraceRoutes {

  private final TraceService tracer;

  public TraceRoutes(TraceService tracer) {
    this.tracer = tracer;
  }

  public void register(RouteTable routes) {
    routes.add(RouteTable.Route.get("/api/v1/invoices/{id}/trace", Scope.INVOICES_TRACE, "trace", "Where the invoice is and why: its "
        + "outcome in one sentence, the timeline from the source commit to the store, rejections, dead letters, webhook deliveries")
        .query(RouteTable.LANG).named("trace"), this::trace);
    routes.add(RouteTable.Route.get("/api/v1/invoices/{id}/audit", Scope.AUDIT, "audit", "The invoice's audit trail, its hash chain "
        + "verified").named("audit"), this::audit);
  }

  private void trace(Context ctx) throws Exception {
    QueryParams q = new QueryParams(ctx.queryParamMap());
    String id = ctx.pathParam("id");
    Caller caller = ApiSecurity.caller(ctx);
    Map<String, Object> trace = tracer.trace(caller.tenant(), id).orElseThrow(() -> ProblemException.invoiceNotFound(id));
    if (!caller.scopes().contains(Scope.OPERATIONS)) {
      trace = InternalText.forTenant(trace); // why a record failed is internal: operators read it
    }
    if (trace.get("rejection") instanceof Map<?, ?> rejection) {
      RuleMessages.localize((List<?>) rejection.get("violations"), q.language(ctx.header("Accept-Language")));
    }
    ctx.json(trace);
  }

  private void audit(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    Caller caller = ApiSecurity.caller(ctx);
    TraceService.History history = tracer.history(caller.tenant(), id);
    if (history.entries().isEmpty()) {
      throw ProblemException.invoiceNotFound(id);
    }
    ctx.json(caller.scopes().contains(Scope.OPERATIONS) ? history : InternalText.forTenant(history));
  }
}
