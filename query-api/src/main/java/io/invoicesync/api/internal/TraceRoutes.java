package io.invoicesync.api.internal;

import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.trace.InternalText;
import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.trace.TraceService;
import io.javalin.config.RoutesConfig;
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

  public void register(RoutesConfig routes) {
    routes.get("/api/v1/invoices/{id}/trace", this::trace, Scope.INVOICES_TRACE);
    routes.get("/api/v1/invoices/{id}/audit", this::audit, Scope.AUDIT);
  }

  private void trace(Context ctx) throws Exception {
    QueryParams q = new QueryParams(ctx.queryParamMap()).only(Set.of("lang"), "trace");
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
    new QueryParams(ctx.queryParamMap()).only(Set.of(), "audit");
    String id = ctx.pathParam("id");
    Caller caller = ApiSecurity.caller(ctx);
    TraceService.History history = tracer.history(caller.tenant(), id);
    if (history.entries().isEmpty()) {
      throw ProblemException.invoiceNotFound(id);
    }
    ctx.json(caller.scopes().contains(Scope.OPERATIONS) ? history : InternalText.forTenant(history));
  }
}
