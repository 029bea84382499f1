package io.invoicesync.api.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.trace.TraceService;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The invoices a caller may see: one by id ({@code GET /api/v1/invoices/{id}}), a search of visible
 * ones ({@code GET /api/v1/invoices}, with {@code notVisible} pointing at the traces of invoices that
 * carry a searched number but are not visible), invoices by outcome ({@code ?outcome=}), and the
 * latest rejections ({@code GET /api/v1/rejections}).
 */
public final class InvoiceRoutes {

  /** At most this many traces answer one number search that found nothing visible (each is several statements). */
  private static final int NOT_VISIBLE_MAX = 5;

  /** A page of a list; {@code notVisible} only on the first page of a number search that found nothing visible. */
  public record Listing(List<?> items, String nextCursor, @JsonInclude(JsonInclude.Include.NON_NULL) List<NotVisible> notVisible) {
  }

  /** An invoice that carries the searched number but is not visible: its outcome, why, and where its trace is. */
  public record NotVisible(String invoiceId, Object outcome, Object explanation, String trace) {
  }

  private final InvoiceRepository repository;
  private final TraceService searchTracer;
  private final QueryParams.Limits limits;

  /** @param searchTracer the traces of a search's {@code notVisible}, on the search pool */
  public InvoiceRoutes(InvoiceRepository repository, TraceService searchTracer, QueryParams.Limits limits) {
    this.repository = repository;
    this.searchTracer = searchTracer;
    this.limits = limits;
  }

  public void register(RouteTable routes) {
    routes.add(RouteTable.Route.get("/api/v1/invoices/{id}", Scope.INVOICES_READ, "invoices", "One visible invoice with its lines and sync "
        + "metadata (404 when it is not visible to this token: its trace says why)"), this::byId);
    routes.add(RouteTable.Route.get("/api/v1/invoices", Scope.INVOICES_READ, "invoices", "Search invoices, newest first, "
        + "keyset-paginated").query(InvoiceSearch.PARAMETERS).named("search"), this::search);
    routes.add(RouteTable.Route.get("/api/v1/rejections", Scope.INVOICES_READ, "invoices", "The latest rejections, each with every "
        + "violation").query(RejectionSearch.PARAMETERS).named("rejection search"), this::rejections);
  }

  private void byId(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    ctx.json(repository.find(ApiSecurity.caller(ctx).tenant(), id).orElseThrow(() -> ProblemException.invoiceNotFound(id)));
  }

  private void search(Context ctx) throws Exception {
    InvoiceSearch search = InvoiceSearch.parse(new QueryParams(ctx.queryParamMap()), limits);
    Tenant tenant = ApiSecurity.caller(ctx).tenant();
    if (search.byOutcome()) {
      Cursors.TimeKey after = Cursors.decodeTime(search.cursor());
      InvoiceRepository.Page<InvoiceRepository.Recorded, Cursors.TimeKey> page = repository.byOutcome(tenant, search, after);
      ctx.json(new Listing(page.items(), page.next() == null ? null : Cursors.encode(page.next()), null));
      return;
    }
    Cursors.DateKey after = Cursors.decodeDate(search.cursor());
    var page = repository.search(tenant, search, after);
    String next = page.next() == null ? null : Cursors.encode(page.next());
    boolean explain = search.firstPageByNumber() && page.items().isEmpty();
    ctx.json(new Listing(page.items(), next, explain ? notVisible(tenant, search) : null));
  }

  /** Where each invoice with the searched number is, when none is visible. */
  private List<NotVisible> notVisible(Tenant tenant, InvoiceSearch search) throws Exception {
    List<NotVisible> out = new ArrayList<>();
    for (String id : searchTracer.idsByNumber(tenant, search.invoiceNumber(), search.invoiceCode()).stream().limit(NOT_VISIBLE_MAX).toList()) {
      Map<String, Object> t = searchTracer.trace(tenant, id).orElse(null);
      if (t != null) {
        out.add(new NotVisible(id, t.get("outcome"), t.get("explanation"), "/api/v1/invoices/" + id + "/trace"));
      }
    }
    return out;
  }

  private void rejections(Context ctx) throws Exception {
    QueryParams q = new QueryParams(ctx.queryParamMap());
    RejectionSearch search = RejectionSearch.parse(q, limits);
    var page = repository.rejections(ApiSecurity.caller(ctx).tenant(), search);
    String lang = q.language(ctx.header("Accept-Language"));
    page.items().forEach(item -> RuleMessages.localize(item.violations(), lang));
    ctx.json(new Listing(page.items(), page.next() == null ? null : Cursors.encode(page.next()), null));
  }
}
