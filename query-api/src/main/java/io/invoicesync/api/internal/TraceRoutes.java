package io.invoicesync.api.internal;

import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.audit.AuditExport;
import io.invoicesync.outcomes.trace.AuditPeriod;
import io.invoicesync.outcomes.trace.InternalText;
import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.trace.TraceService;
import io.javalin.http.Context;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where one invoice is and why ({@code GET /api/v1/invoices/{id}/trace}, {@link TraceService}), and
 * its audit trail with the chain verified ({@code GET /api/v1/invoices/{id}/audit}). Either answers an
 * invoice nobody knows, or another taxpayer's, with the same 404.
 */
public final class TraceRoutes {

  /** The parameters of {@code GET /api/v1/audit/export}. */
  public static final List<RouteTable.Param> EXPORT_PARAMS = List.of(
      RouteTable.Param.text("from", "entries recorded at or after this ISO instant or date (a date: its start, UTC); required"),
      RouteTable.Param.text("to", "entries recorded before this ISO instant or date; required"),
      RouteTable.Param.text("seller", "only invoices whose chain names this seller tax id"),
      RouteTable.Param.oneOf("format", List.of("jsonl", "csv"), "the file's format (default jsonl): the columns of `invoice-sync audit export`"));

  private final TraceService tracer;
  private final AuditPeriod period;

  public TraceRoutes(TraceService tracer, AuditPeriod period) {
    this.tracer = tracer;
    this.period = period;
  }

  public void register(RouteTable routes) {
    routes.add(RouteTable.Route.get("/api/v1/invoices/{id}/trace", Scope.INVOICES_TRACE, "trace", "Where the invoice is and why: its "
        + "outcome in one sentence, the timeline from the source commit to the store, rejections, dead letters, webhook deliveries")
        .query(RouteTable.LANG).named("trace"), this::trace);
    routes.add(RouteTable.Route.get("/api/v1/invoices/{id}/audit", Scope.AUDIT, "audit", "The invoice's audit trail, its hash chain "
        + "verified").named("audit"), this::audit);
    routes.add(RouteTable.Route.get("/api/v1/audit/export", Scope.AUDIT, "audit", "The audit entries recorded in a period, as a file")
        .describedAs("Every entry recorded in [from, to) of the invoices the token may see, in topic order, with every field the hash "
            + "covers and its partition and offset: the format of `invoice-sync audit export`, so the chains can be re-verified from "
            + "the file alone. Read from the query store's copy of the audit topic.")
        .query(EXPORT_PARAMS).answers(200, "application/x-ndjson").named("audit export"), this::export);
  }

  private void export(Context ctx) throws Exception {
    QueryParams q = new QueryParams(ctx.queryParamMap());
    Instant from = required(q, "from");
    Instant to = required(q, "to");
    if (!from.isBefore(to)) {
      throw ProblemException.badParameter("to", q.raw("to"), "must be after from (" + q.raw("from") + ")");
    }
    AuditExport.Format format = format(q.text("format"));
    stream(ctx, period, ApiSecurity.caller(ctx), from, to, q.text("seller"), format,
        "audit-" + q.raw("from") + "-" + q.raw("to"));
  }

  private static Instant required(QueryParams q, String name) {
    Instant v;
    try {
      v = AuditExport.periodBound(name, q.text(name));
    } catch (IllegalArgumentException e) {
      throw ProblemException.badParameter(name, q.raw(name), "must be an ISO instant (2026-11-25T08:00:00Z) or date (2026-11-25, UTC)");
    }
    if (v == null) {
      throw ProblemException.badParameter(name, null, "is required");
    }
    return v;
  }

  /** {@code jsonl} (the default) or {@code csv}; anything else a 400 naming {@code format}. */
  public static AuditExport.Format format(String value) {
    try {
      return value == null ? AuditExport.Format.JSONL : AuditExport.Format.of("format", value);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badParameter("format", value, "must be jsonl or csv");
    }
  }

  /** Streams a period's entries as an attachment named {@code name} plus the format's extension (the API's and the console's download). */
  public static void stream(Context ctx, AuditPeriod period, Caller caller, Instant from, Instant to, String seller, AuditExport.Format format,
      String name) throws Exception {
    ctx.contentType(format.mediaType() + "; charset=utf-8");
    ctx.header("Content-Disposition", "attachment; filename=\"" + name.replaceAll("[^0-9A-Za-z._-]", "_") + "." + format.extension() + "\"");
    try (Writer w = new BufferedWriter(new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8))) {
      period.export(caller.tenant(), caller.scopes().contains(Scope.OPERATIONS), from, to, seller, new AuditExport(w, format));
    }
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
