package io.invoicesync.api.console;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.invoicesync.api.internal.Cursors;
import io.invoicesync.api.internal.InvoiceRepository;
import io.invoicesync.api.internal.InvoiceSearch;
import io.invoicesync.api.internal.ProblemException;
import io.invoicesync.api.internal.QueryParams;
import io.invoicesync.api.internal.RejectionSearch;
import io.invoicesync.api.internal.RouteTable;
import io.invoicesync.api.internal.RouteTable.Param;
import io.invoicesync.api.internal.RouteTable.Route;
import io.invoicesync.api.internal.TraceRoutes;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.AuthenticationException;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.JwtAuthenticator;
import io.invoicesync.api.security.Scope;
import io.invoicesync.imports.Values;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.trace.InternalText;
import io.invoicesync.outcomes.trace.PipelineStatus;
import io.invoicesync.outcomes.trace.RuleMessages;
import io.invoicesync.outcomes.trace.TraceService;
import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.outcomes.view.InvoiceView;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The web console, for the people who ask "where is my invoice?": find an invoice by number (or code
 * and number), by party and date, by amount; see it with its lines, or, when it is not visible, why,
 * in one sentence in the clerk's language, with what to do next; the latest rejections with their
 * reasons. Server-rendered (jte templates compiled with the module), no script: every page works
 * without JavaScript and links are bookmarkable ({@code /console/invoices?number=N[&code=C]},
 * {@code /console/invoices/{id}}). Chinese when the browser asks for it, a switch on every page.
 *
 * <p>Same tokens and tenant rules as the API: a route's scope is checked by {@link ApiSecurity}, which
 * reads the token from the console's cookie when the request has no Authorization header. The
 * cookie is set by signing in with a pasted token ({@code /console/signin}): HttpOnly, SameSite=Strict,
 * Secure under TLS, path /console. With {@code api.auth.mode=none} (the demo) the console is open.
 */
public final class ConsoleRoutes {

  public static final String TOKEN_COOKIE = "invoice_sync_token";
  static final String LANG_COOKIE = "invoice_sync_lang";
  /** Styles from this site only; no script at all; forms post here only. */
  public static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
      + "frame-ancestors 'none'; base-uri 'none'";
  static final Param LANG = Param.oneOf("lang", List.of("zh", "en"), "the page's language (else the cookie, then Accept-Language)");
  private static final List<Param> FIND = List.of(Param.text("number", "the invoice number"), Param.text("code", "the invoice code (older "
      + "invoices)"), Param.text("seller", "seller tax id"), Param.text("buyer", "buyer tax id"), Param.date("from", "issued from"),
      Param.date("to", "issued to"), Param.decimal("minAmount", "grand total at least"), Param.decimal("maxAmount", "grand total at most"),
      Param.text("cursor", "the next page"), LANG);
  private static final List<Param> REJECTIONS = List.of(Param.text("code", "rule code"), Param.text("seller", "seller tax id"),
      Param.date("from", "rejected from"), Param.date("to", "rejected to"), Param.text("cursor", "the next page"), LANG);

  private static final List<Param> AUDIT_PERIOD = List.of(Param.date("from", "recorded from this day (the console's zone)"),
      Param.date("to", "recorded to this day, included"), Param.text("seller", "only invoices whose chain names this seller tax id"));

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private final InvoiceRepository repository;
  private final TraceService tracer;
  private final QueryParams.Limits limits;
  private final JwtAuthenticator jwt;
  private final boolean https;
  private final java.time.ZoneId zone;
  private final PipelineStatus status;
  private final javax.sql.DataSource operationsStore;
  private final Map<String, Object> kafka;
  private ApiSecurity security;
  private io.invoicesync.outcomes.trace.AuditPeriod auditPeriod;
  private OidcLogin oidc;
  private ImportPages importPages;
  private final io.invoicesync.webhooks.Endpoints endpoints;
  private final io.invoicesync.webhooks.Messages messages;
  private final TemplateEngine templates = TemplateEngine.createPrecompiled(null, ContentType.Html, null,
      "io.invoicesync.api.console.templates");

  /** @param jwt the API's token validator; null when the API is open ({@code api.auth.mode=none}) */
  public ConsoleRoutes(InvoiceRepository repository, TraceService tracer, QueryParams.Limits limits, JwtAuthenticator jwt, boolean https,
                       java.time.ZoneId zone) {
    this(repository, tracer, limits, jwt, https, zone, null, null, null);
  }

  /**
   * @param status     the pipeline's status, for the operations page
   * @param store      the query store (a searching pool), for the operations page's last hour and dead letters
   * @param kafka      the Kafka client settings dead letters are replayed with; null when this API has none (replay is then off)
   */
  public ConsoleRoutes(InvoiceRepository repository, TraceService tracer, QueryParams.Limits limits, JwtAuthenticator jwt, boolean https,
                       java.time.ZoneId zone, PipelineStatus status, javax.sql.DataSource store, Map<String, Object> kafka) {
    this(repository, tracer, limits, jwt, https, zone, status, store, kafka, null, null);
  }

  /** @param endpoints the webhook endpoints and {@code messages} their deliveries, for the webhooks pages (null: none) */
  public ConsoleRoutes(InvoiceRepository repository, TraceService tracer, QueryParams.Limits limits, JwtAuthenticator jwt, boolean https,
                       java.time.ZoneId zone, PipelineStatus status, javax.sql.DataSource store, Map<String, Object> kafka,
                       io.invoicesync.webhooks.Endpoints endpoints, io.invoicesync.webhooks.Messages messages) {
    this.endpoints = endpoints;
    this.messages = messages;
    this.status = status;
    this.operationsStore = store;
    this.kafka = kafka;
    this.zone = zone;
    this.repository = repository;
    this.tracer = tracer;
    this.limits = limits;
    this.jwt = jwt;
    this.https = https;
  }

  /** Adds the import page (scope {@code imports}): uploads through the API's own import, and the files imported lately. */
  public ConsoleRoutes importsWith(io.invoicesync.api.internal.ImportRoutes imports, javax.sql.DataSource store) {
    this.importPages = new ImportPages(this, imports, store);
    return this;
  }

  /** Offers an OpenID Connect login on the sign-in page ({@code api.console.oidc.client.id}); null: pasted tokens only. */
  public ConsoleRoutes signsInWith(OidcLogin login) {
    this.oidc = login;
    return this;
  }

  /** Adds the audit page's export of a period (scope {@code audit}); without it the page says the export is not served here. */
  public ConsoleRoutes exportsAuditWith(io.invoicesync.outcomes.trace.AuditPeriod period) {
    this.auditPeriod = period;
    return this;
  }

  /** The API's front door, whose per-address limit on refused tokens the sign-in page counts against too. */
  public ConsoleRoutes limitedBy(ApiSecurity security) {
    this.security = security;
    return this;
  }

  public void register(RouteTable routes) {
    routes.add(Route.get("/", Scope.PUBLIC, "console", "The console's front door: redirects to /console").answers(303, null).query(LANG),
        ctx -> ctx.redirect("/console" + (ctx.queryParam("lang") == null ? "" : "?lang=" + enc(ctx.queryParam("lang"))), 
            io.javalin.http.HttpStatus.SEE_OTHER));
    routes.add(html(Route.get("/console", Scope.INVOICES_READ, "console", "Console: find an invoice")).query(LANG), this::home);
    routes.add(html(Route.get("/console/invoices", Scope.INVOICES_READ, "console", "Console: invoices found by number, party, date or "
        + "amount; where each invoice with a searched number that is not visible is")).query(FIND), this::find);
    routes.add(html(Route.get("/console/invoices/{id}", Scope.INVOICES_READ, "console", "Console: one invoice with its lines, and its "
        + "trace in the clerk's language")).query(LANG), this::invoice);
    routes.add(html(Route.get("/console/rejections", Scope.INVOICES_READ, "console", "Console: the latest rejections with their reasons"))
        .query(REJECTIONS), this::rejections);
    routes.add(html(Route.get("/console/invoices/{id}/audit", Scope.AUDIT, "console", "Console: the invoice's audit chain, verified"))
        .query(LANG), this::audit);
    if (importPages != null) {
      importPages.register(routes);
    }
    routes.add(html(Route.get("/console/audit", Scope.AUDIT, "console", "Console: the audit trail of a period, counted, to download "
        + "for re-verification")).query(AUDIT_PERIOD).query(LANG), this::auditPeriod);
    routes.add(Route.get("/console/audit/export", Scope.AUDIT, "console", "Console: download a period's audit entries (the columns of "
        + "'invoice-sync audit export')").query(AUDIT_PERIOD).query(Param.oneOf("format", List.of("jsonl", "csv"), "the file's format"))
        .answers(200, "application/x-ndjson"), this::auditExport);
    if (operationsStore != null) {
      new OperationsPages(this, status, operationsStore, kafka, endpoints, importPages != null).register(routes);
    }
    routes.add(html(Route.get("/console/webhooks", Scope.WEBHOOKS, "console", "Console: the token's webhook endpoints and whether "
        + "they are delivering")).query(LANG), this::webhooks);
    routes.add(html(Route.get("/console/webhooks/{id}", Scope.WEBHOOKS, "console", "Console: an endpoint's newest messages, with "
        + "status, attempts and the last answer")).query(LANG, Param.oneOf("status", List.of("PENDING", "DELIVERED", "FAILED", "FEED"),
        "only messages in this state"),
        Param.integer("before", "the next page")), this::webhook);
    routes.add(html(Route.get("/console/signin", Scope.PUBLIC, "console", "Console: sign in with a pasted token"))
        .query(LANG, Param.text("next", "where to go after signing in")), this::signinPage);
    routes.add(Route.post("/console/signin", Scope.PUBLIC, "console", "Console: check the pasted token and keep it in a cookie")
        .body(RouteTable.Body.NONE).answers(303, null), this::signin);
    routes.add(Route.get("/console/oidc/login", Scope.PUBLIC, "console", "Console: sign in at the identity provider (OpenID Connect, "
        + "authorization code with PKCE)").query(Param.text("next", "where to go after signing in"), LANG).answers(303, null), this::oidcLogin);
    routes.add(html(Route.get(OidcLogin.CALLBACK_PATH, Scope.PUBLIC, "console", "Console: where the identity provider sends the browser "
        + "back; the code is exchanged for tokens and the access token kept like a pasted one")).query(Param.text("code",
        "the authorization code"), Param.text("state", "the login's state"), Param.text("error", "the provider's error code"),
        Param.text("error_description", "the provider's explanation")).lenient(), this::oidcCallback);
    routes.add(Route.post("/console/signout", Scope.PUBLIC, "console", "Console: forget the token").body(RouteTable.Body.NONE)
        .answers(303, null), this::signout);
    routes.add(Route.get("/console/assets/console.css", Scope.PUBLIC, "console", "Console: its style sheet").answers(200, "text/css"),
        this::css);
  }

  static Route html(Route r) {
    return r.answers(200, "text/html");
  }

  // ---- pages

  private void home(Context ctx) {
    render(ctx, "search.jte", page(ctx, "find.title", "find"), new Views.Search(Map.of(), false, List.of(), List.of(), null, null, null));
  }

  private void find(Context ctx) throws Exception {
    Map<String, String> form = form(ctx, "number", "code", "seller", "buyer", "from", "to", "minAmount", "maxAmount");
    Views.Page page = page(ctx, "find.title", "find");
    Texts t = page.t();
    Map<String, List<String>> api = new LinkedHashMap<>();
    put(api, "invoiceNumber", digits(form.get("number")));
    put(api, "invoiceCode", digits(form.get("code")));
    put(api, "sellerTaxId", form.get("seller"));
    put(api, "buyerTaxId", form.get("buyer"));
    put(api, "from", form.get("from"));
    put(api, "to", form.get("to"));
    put(api, "cursor", ctx.queryParam("cursor"));
    InvoiceSearch search;
    try {
      put(api, "minAmount", amount("minAmount", form.get("minAmount")));
      put(api, "maxAmount", amount("maxAmount", form.get("maxAmount")));
      if (api.isEmpty()) {
        render(ctx, "search.jte", page, new Views.Search(form, false, List.of(), List.of(), null, null, null));
        return;
      }
      search = InvoiceSearch.parse(new QueryParams(api), limits);
    } catch (ProblemException e) {
      ctx.status(400);
      render(ctx, "search.jte", page, new Views.Search(form, true, List.of(), List.of(), null, clerkWords(e.getMessage()), null));
      return;
    }
    Tenant tenant = ApiSecurity.caller(ctx).tenant();
    var found = repository.search(tenant, search, Cursors.decodeDate(search.cursor()));
    List<Views.Row> rows = found.items().stream().map(inv -> row(inv, t)).toList();
    String next = found.next() == null ? null : "/console/invoices?" + query(form) + "&cursor=" + enc(Cursors.encode(found.next()));
    List<Views.Missing> missing = new ArrayList<>();
    String unknown = null;
    if (rows.isEmpty() && search.firstPageByNumber()) {
      boolean operator = ApiSecurity.caller(ctx).scopes().contains(Scope.OPERATIONS);
      for (String id : tracer.idsByNumber(tenant, search.invoiceNumber(), search.invoiceCode()).stream().limit(5).toList()) {
        Optional<Map<String, Object>> trace = tracer.trace(tenant, id);
        if (trace.isPresent()) {
          Map<String, Object> tr = operator ? trace.get() : InternalText.forTenant(trace.get());
          Views.Verdict v = verdict(tr, t, reasons(tr, t), null);
          missing.add(new Views.Missing("/console/invoices/" + enc(id), id, v.outcome(), v.label(), v.sentence()));
        }
      }
      if (missing.isEmpty()) {
        unknown = search.invoiceNumber();
      }
    }
    render(ctx, "search.jte", page, new Views.Search(form, true, rows, missing, unknown, null, next));
  }

  private void invoice(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    Caller caller = ApiSecurity.caller(ctx);
    Optional<InvoiceView> visible = repository.find(caller.tenant(), id);
    boolean traceAllowed = caller.scopes().contains(Scope.INVOICES_TRACE);
    Optional<Map<String, Object>> trace = traceAllowed ? tracer.trace(caller.tenant(), id) : Optional.empty();
    Views.Page page = page(ctx, "notfound.title", "find");
    Texts t = page.t();
    if (visible.isEmpty() && trace.isEmpty()) {
      // another taxpayer's invoice and no invoice at all look the same
      ctx.status(404);
      render(ctx, "notfound.jte", page, t.get("notfound.invoice", id));
      return;
    }
    String number = visible.map(InvoiceView::invoiceNumber).orElse(trace.map(m -> (String) m.get("invoiceNumber")).orElse(id));
    page = new Views.Page(t, t.get("invoice.title", number == null ? id : number), page.switchHref(), page.authRequired(), page.signedInAs(),
        "find");
    Views.Verdict verdict = null;
    List<Views.Reason> reasons = List.of();
    List<Views.Step> timeline = List.of();
    List<Views.Step> history = List.of();
    if (trace.isPresent()) {
      Map<String, Object> tr = caller.scopes().contains(Scope.OPERATIONS) ? trace.get() : InternalText.forTenant(trace.get());
      reasons = reasons(tr, t);
      verdict = verdict(tr, t, reasons, visible.orElse(null));
      timeline = timeline(tr, t);
      history = history(tr, t);
    }
    String projectedAt = visible.map(v -> v.sync() == null ? null : time(v.sync().projectedAt())).orElse(null);
    render(ctx, "invoice.jte", page, new Views.InvoicePage(id, visible.orElse(null), verdict, reasons, timeline, history, traceAllowed,
        projectedAt));
  }

  private void rejections(Context ctx) throws Exception {
    Map<String, String> form = form(ctx, "code", "seller", "from", "to");
    Views.Page page = page(ctx, "rejections.title", "rejections");
    Texts t = page.t();
    Map<String, List<String>> api = new LinkedHashMap<>();
    put(api, "code", form.get("code") == null ? null : form.get("code").trim().toUpperCase(java.util.Locale.ROOT));
    put(api, "sellerTaxId", form.get("seller"));
    put(api, "from", form.get("from"));
    put(api, "to", form.get("to"));
    put(api, "cursor", ctx.queryParam("cursor"));
    RejectionSearch search;
    try {
      search = RejectionSearch.parse(new QueryParams(api), limits);
    } catch (ProblemException e) {
      ctx.status(400);
      render(ctx, "rejections.jte", page, new Views.Rejections(form, List.of(), clerkWords(e.getMessage()), null));
      return;
    }
    var found = repository.rejections(ApiSecurity.caller(ctx).tenant(), search);
    List<Views.RejectionRow> rows = new ArrayList<>();
    for (InvoiceRepository.Rejection r : found.items()) {
      List<Map<String, Object>> violations = new ArrayList<>();
      r.violations().forEach(v -> violations.add(new LinkedHashMap<>(v)));
      RuleMessages.localize(violations, t.chinese() ? "zh" : null);
      rows.add(new Views.RejectionRow("/console/invoices/" + enc(r.invoiceId()), r.invoiceNumber(), r.issueDate(),
          (str(r.sellerName()) + " " + (r.sellerTaxId() == null ? "" : "(" + r.sellerTaxId() + ")")).strip(), money(r.grandTotal()),
          time(r.rejectedAt()), reasonsOf(violations, t)));
    }
    String next = found.next() == null ? null : "/console/rejections?" + query(form) + "&cursor=" + enc(Cursors.encode(found.next()));
    render(ctx, "rejections.jte", page, new Views.Rejections(form, rows, null, next));
  }

  // ---- audit (operations: OperationsPages)

  private void audit(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    Caller caller = ApiSecurity.caller(ctx);
    TraceService.History history = tracer.history(caller.tenant(), id);
    Views.Page page = page(ctx, "notfound.title", "find");
    Texts t = page.t();
    if (history.entries().isEmpty()) {
      ctx.status(404);
      render(ctx, "notfound.jte", page, t.get("notfound.invoice", id));
      return;
    }
    List<Views.AuditRow> rows = new ArrayList<>();
    String number = null;
    for (AuditEntryView e : history.entries()) {
      rows.add(new Views.AuditRow(time(e.recordedAt()), t.has("event." + e.event()) ? t.get("event." + e.event()) : e.event(), str(e.stage()),
          e.version() == null ? "" : "v" + e.version(), e.hash(), str(e.prevHash()), e.hashOk()));
    }
    page = new Views.Page(t, t.get("audit.title", id), page.switchHref(), page.authRequired(), page.signedInAs(), "find");
    render(ctx, "audit.jte", page, new Views.Audit(id, number, history.verified(), history.problems(), rows));
  }

  /** A period asked for on the audit page: days in the console's zone, {@code to} included. */
  private record Period(java.time.Instant from, java.time.Instant to, String seller, String name) {
  }

  /** The period the form asks for; null when it asks for none; a ProblemException naming the field when it is wrong. */
  private Period period(Map<String, String> form) {
    if (form.get("from") == null && form.get("to") == null) {
      return null;
    }
    java.time.LocalDate from = day("from", form.get("from"));
    java.time.LocalDate to = day("to", form.get("to"));
    if (to.isBefore(from)) {
      throw ProblemException.badParameter("to", form.get("to"), "is before from (" + form.get("from") + ")");
    }
    String seller = form.get("seller") == null ? null : form.get("seller").trim().toUpperCase(java.util.Locale.ROOT);
    return new Period(from.atStartOfDay(zone).toInstant(), to.plusDays(1).atStartOfDay(zone).toInstant(), seller,
        "audit-" + from + "_" + to + (seller == null ? "" : "-" + seller));
  }

  /** A required day: QueryParams' reader (an ISO date, else a 400 naming the field). */
  private static java.time.LocalDate day(String name, String value) {
    java.time.LocalDate d = new QueryParams(value == null ? Map.of() : Map.of(name, List.of(value.trim()))).date(name);
    if (d == null) {
      throw ProblemException.badParameter(name, null, "is required");
    }
    return d;
  }

  private void auditPeriod(Context ctx) throws Exception {
    Map<String, String> form = form(ctx, "from", "to", "seller");
    Views.Page page = page(ctx, "auditp.title", "audit");
    Texts t = page.t();
    if (auditPeriod == null) {
      render(ctx, "auditperiod.jte", page, new Views.AuditPeriod(form, null, null, null, t.get("auditp.off")));
      return;
    }
    Period period;
    try {
      period = period(form);
    } catch (ProblemException e) {
      ctx.status(400);
      render(ctx, "auditperiod.jte", page, new Views.AuditPeriod(form, null, null, null, clerkWords(e.getMessage())));
      return;
    }
    if (period == null) {
      render(ctx, "auditperiod.jte", page, new Views.AuditPeriod(form, null, null, null, null));
      return;
    }
    io.invoicesync.outcomes.trace.AuditPeriod.Summary counted = auditPeriod.count(ApiSecurity.caller(ctx).tenant(), period.from(),
        period.to(), period.seller());
    String query = "from=" + enc(form.get("from")) + "&to=" + enc(form.get("to")) + (period.seller() == null ? "" : "&seller="
        + enc(period.seller()));
    String summary = t.get("auditp.summary", counted.entries(), counted.invoices(), form.get("from"), form.get("to"), zone.getId());
    render(ctx, "auditperiod.jte", page, new Views.AuditPeriod(form, summary, counted.entries() == 0 ? null
        : "/console/audit/export?" + query + "&format=csv", counted.entries() == 0 ? null : "/console/audit/export?" + query + "&format=jsonl",
        null));
  }

  private void auditExport(Context ctx) throws Exception {
    if (auditPeriod == null) {
      throw new ProblemException(404, "Not found", "the audit export is not served by this API", List.of());
    }
    Period period = period(form(ctx, "from", "to", "seller"));
    if (period == null) {
      throw ProblemException.badParameter("from", null, "is required");
    }
    TraceRoutes.stream(ctx, auditPeriod, ApiSecurity.caller(ctx), period.from(), period.to(), period.seller(),
        TraceRoutes.format(ctx.queryParam("format")), period.name());
  }

  private void webhooks(Context ctx) throws Exception {
    Views.Page page = page(ctx, "wh.title", "webhooks");
    List<Views.EndpointRow> rows = new ArrayList<>();
    for (io.invoicesync.webhooks.Endpoint e : endpoints.list(ApiSecurity.caller(ctx).tenant())) {
      rows.add(endpointRow(e, page.t()));
    }
    render(ctx, "webhooks.jte", page, rows);
  }

  private void webhook(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    Views.Page page = page(ctx, "wh.title", "webhooks");
    Texts t = page.t();
    Optional<io.invoicesync.webhooks.Endpoint> e = endpoints.find(ApiSecurity.caller(ctx).tenant(), id);
    if (e.isEmpty()) {
      ctx.status(404);
      render(ctx, "notfound.jte", page, t.get("wh.notfound", id));
      return;
    }
    String statusParam = ctx.queryParam("status");
    String statusFilter = statusParam != null && List.of("PENDING", "DELIVERED", "FAILED", "FEED").contains(statusParam) ? statusParam : null;
    Long before = null;
    if (ctx.queryParam("before") != null && ctx.queryParam("before").matches("\\d{1,18}")) {
      before = Long.parseLong(ctx.queryParam("before"));
    }
    int limit = 50;
    List<io.invoicesync.webhooks.Messages.Delivery> found = messages.list(id, statusFilter, null, before, limit + 1);
    List<Views.DeliveryRow> rows = new ArrayList<>();
    for (io.invoicesync.webhooks.Messages.Delivery d : found.subList(0, Math.min(limit, found.size()))) {
      String tone = switch (d.status()) {
        case "DELIVERED" -> "ok";
        case "FAILED" -> "bad";
        case "FEED" -> "";
        default -> "warn";
      };
      rows.add(new Views.DeliveryRow(d.invoiceId() == null ? null : "/console/invoices/" + enc(d.invoiceId()), str(d.invoiceId()), d.type(),
          d.version() == null ? "" : "v" + d.version(), t.get("wh.status." + d.status()), tone, d.attempts(),
          d.lastStatus() == null ? "" : d.lastStatus().toString(), str(d.lastError()), time(iso(d.createdAt())), time(iso(d.deliveredAt()))));
    }
    String next = found.size() > limit ? "/console/webhooks/" + enc(id) + "?before=" + found.get(limit - 1).seq()
        + (statusFilter == null ? "" : "&status=" + statusFilter) : null;
    page = new Views.Page(t, t.get("wh.endpoint", e.get().pull() ? t.get("wh.feed") : e.get().url()), page.switchHref(), page.authRequired(),
        page.signedInAs(), "webhooks");
    render(ctx, "webhook.jte", page, new Views.EndpointPage(endpointRow(e.get(), t), rows, next));
  }

  private Views.EndpointRow endpointRow(io.invoicesync.webhooks.Endpoint e, Texts t) {
    String events = e.eventTypes().isEmpty() ? t.get("wh.allInvoiceEvents")
        : e.eventTypes().stream().map(x -> x.wire()).sorted().reduce((a, b) -> a + ", " + b).orElse("");
    String state;
    String tone;
    String note = "";
    if (!e.enabled()) {
      state = t.get("wh.disabled");
      tone = "bad";
      note = str(e.disabledReason());
    } else if (e.failingSince() != null) {
      state = t.get("wh.failing");
      tone = "warn";
      note = t.get("wh.failingSince", time(iso(e.failingSince())));
    } else {
      state = t.get("wh.delivering");
      tone = "ok";
    }
    return new Views.EndpointRow("/console/webhooks/" + enc(e.id()), e.id(), e.pull() ? t.get("wh.feed") : e.url(), events, state, tone, note);
  }

  private static String iso(java.time.Instant i) {
    return i == null ? null : i.toString();
  }



  // ---- signing in

  private void signinPage(Context ctx) {
    Views.Page page = page(ctx, "signin.title", "signin");
    render(ctx, "signin.jte", page, new SignIn(safeNext(ctx.queryParam("next")), null, oidc != null));
  }

  /** The sign-in form's model: where to go after, and why the last token was refused. */
  public record SignIn(String next, String error, boolean oidc) {
    /** {@code next}, URL-encoded for the login link's query. */
    public String nextQuery() {
      return enc(next);
    }
  }

  private void signin(Context ctx) {
    sameOrigin(ctx);
    String token = ctx.formParam("token") == null ? "" : ctx.formParam("token").strip();
    if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = token.substring(7).strip();
    }
    String next = safeNext(ctx.formParam("next"));
    if (jwt == null) {
      ctx.redirect(next, io.javalin.http.HttpStatus.SEE_OTHER); // an open installation: nothing to keep
      return;
    }
    Views.Page page = page(ctx, "signin.title", "signin");
    try {
      jwt.authenticate(token);
    } catch (AuthenticationException e) {
      if (security != null) {
        security.countRefusedToken(ctx); // guessing tokens costs a signature check each: limited per address, as the API does
      }
      ctx.status(401);
      render(ctx, "signin.jte", page, new SignIn(next, page.t().get("signin.bad", e.getMessage()), oidc != null));
      return;
    } catch (JwtAuthenticator.KeysUnavailableException e) {
      ctx.status(503);
      render(ctx, "signin.jte", page, new SignIn(next, page.t().get("signin.bad", "the identity provider's keys cannot be fetched now"), oidc != null));
      return;
    }
    Cookie cookie = new Cookie(TOKEN_COOKIE, token, "/console", -1, secure(ctx), true, null, SameSite.STRICT);
    ctx.cookie(cookie);
    ctx.redirect(next, io.javalin.http.HttpStatus.SEE_OTHER);
  }

  private void oidcLogin(Context ctx) throws Exception {
    if (oidc == null) {
      throw new ProblemException(404, "Not found", "this console signs in with pasted tokens only (api.console.oidc.client.id is not set)",
          List.of());
    }
    String next = safeNext(ctx.queryParam("next"));
    try {
      OidcLogin.Start start = oidc.start(oidc.redirectUri(origin(ctx)), next);
      ctx.cookie(new Cookie(OidcLogin.STATE_COOKIE, start.cookie(), "/console/oidc", 600, secure(ctx), true, null, SameSite.LAX));
      ctx.redirect(start.authorize().toString(), io.javalin.http.HttpStatus.SEE_OTHER);
    } catch (OidcLogin.Failed e) {
      Views.Page page = page(ctx, "signin.title", "signin");
      ctx.status(503);
      render(ctx, "signin.jte", page, new SignIn(next, page.t().get("signin.oidcFailed", e.getMessage()), true));
    }
  }

  /**
   * The provider's answer: on success the access token becomes the console's cookie, exactly as a pasted one, and the browser
   * goes on from a page of this site (a redirect would carry the provider's cross-site navigation on, and the browser would
   * withhold the SameSite=Strict cookie from the next page).
   */
  private void oidcCallback(Context ctx) throws Exception {
    if (oidc == null) {
      throw new ProblemException(404, "Not found", "this console signs in with pasted tokens only", List.of());
    }
    String cookie = ctx.cookie(OidcLogin.STATE_COOKIE);
    String next = safeNext(OidcLogin.next(cookie));
    ctx.cookie(new Cookie(OidcLogin.STATE_COOKIE, "", "/console/oidc", 0, secure(ctx), true, null, SameSite.LAX)); // one answer per login
    Views.Page page = page(ctx, "signin.title", "signin");
    String token;
    try {
      token = oidc.finish(java.net.URI.create(origin(ctx) + ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString())),
          cookie, oidc.redirectUri(origin(ctx)));
      jwt.authenticate(token);
    } catch (OidcLogin.Failed e) {
      ctx.status(401);
      render(ctx, "signin.jte", page, new SignIn(next, page.t().get("signin.oidcFailed", e.getMessage()), true));
      return;
    } catch (AuthenticationException e) {
      ctx.status(401);
      render(ctx, "signin.jte", page, new SignIn(next, page.t().get("signin.oidcRefused", e.getMessage()), true));
      return;
    } catch (JwtAuthenticator.KeysUnavailableException e) {
      ctx.status(503);
      render(ctx, "signin.jte", page, new SignIn(next, page.t().get("signin.bad", "the identity provider's keys cannot be fetched now"),
          true));
      return;
    }
    ctx.cookie(new Cookie(TOKEN_COOKIE, token, "/console", -1, secure(ctx), true, null, SameSite.STRICT));
    ctx.header("Content-Security-Policy", CSP).contentType("text/html; charset=utf-8");
    StringOutput out = new StringOutput();
    templates.render("continue.jte", Map.of("p", page, "next", next), out);
    ctx.result(out.toString());
  }

  /** scheme://host[:port] as the browser reached this API. */
  private String origin(Context ctx) {
    return (secure(ctx) ? "https" : "http") + "://" + ctx.host();
  }

  private void signout(Context ctx) {
    sameOrigin(ctx);
    ctx.cookie(new Cookie(TOKEN_COOKIE, "", "/console", 0, secure(ctx), true, null, SameSite.STRICT));
    ctx.redirect("/console/signin", io.javalin.http.HttpStatus.SEE_OTHER);
  }

  /**
   * A form posted from anywhere but this site is refused (the cookie is SameSite=Strict besides): the browser must say the request
   * is same-origin (Sec-Fetch-Site) or send an Origin of this host. A missing or "null" Origin (a sandboxed frame) is refused too:
   * with an open API (auth none) no cookie stands between another site's form and a replay.
   */
  static void sameOrigin(Context ctx) {
    if ("same-origin".equals(ctx.header("Sec-Fetch-Site"))) {
      return;
    }
    String origin = ctx.header("Origin");
    String host = ctx.header("Host");
    if (origin == null || origin.equals("null") || host == null || !origin.endsWith("://" + host)) {
      throw new ProblemException(403, "Forbidden", "this form must be posted from this site's own pages", List.of());
    }
  }

  /** Secure under TLS here, or behind a proxy that ended it (X-Forwarded-Proto: https): the token never travels in clear. */
  private boolean secure(Context ctx) {
    return https || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
  }

  /** Only a path of the console: never another site. */
  private static String safeNext(String next) {
    return next != null && next.startsWith("/console") && !next.startsWith("//") && !next.contains("\\") ? next : "/console";
  }

  /** A 401 on a console page: to the sign-in page, back here after. */
  public static void toSignIn(Context ctx) {
    String here = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
    ctx.redirect("/console/signin?next=" + enc(here), io.javalin.http.HttpStatus.SEE_OTHER);
  }

  /** The zone the console shows times in ({@code api.console.zone}). */
  java.time.ZoneId zone() {
    return zone;
  }

  /** Any other refusal on a console page, as a page in the clerk's language. */
  public void problem(Context ctx, int status, String detail) {
    ctx.status(status);
    render(ctx, "error.jte", page(ctx, "error.title", ""), detail);
  }

  private void css(Context ctx) throws IOException {
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream("console.css")) {
      ctx.header("Cache-Control", "public, max-age=3600").contentType("text/css; charset=utf-8").result(in.readAllBytes());
    }
  }

  // ---- the clerk's words

  /** Outcome, one sentence and what to do next, in the page's language. */
  Views.Verdict verdict(Map<String, Object> trace, Texts t, List<Views.Reason> reasons, InvoiceView visible) {
    String outcome = String.valueOf(trace.get("outcome"));
    String label = t.get("outcome." + outcome);
    String tone = switch (outcome) {
      case "VISIBLE" -> "ok";
      case "REJECTED", "DEAD_LETTERED" -> "bad";
      default -> "warn";
    };
    String sentence;
    if (outcome.equals("REJECTED") && !reasons.isEmpty()) {
      sentence = t.get("rejected.sentence", reasons.get(0).message()) + (reasons.size() > 1 ? " " + t.get("rejected.more", reasons.size() - 1) : "");
    } else if (t.chinese() && outcome.equals("VISIBLE") && visible != null) {
      sentence = t.get("verdict.VISIBLE", visible.sync().version(), t.get("status." + visible.status()), time(visible.sync().projectedAt()));
    } else if (t.chinese() && t.has("verdict." + outcome)) {
      sentence = t.get("verdict." + outcome);
    } else {
      sentence = String.valueOf(trace.get("explanation"));
    }
    String action = t.chinese() && t.has("action." + outcome) ? t.get("action." + outcome) : String.valueOf(trace.get("action"));
    return new Views.Verdict(outcome, label, sentence, action, tone);
  }

  @SuppressWarnings("unchecked")
  static List<Views.Reason> reasons(Map<String, Object> trace, Texts t) {
    if (!(trace.get("rejection") instanceof Map<?, ?> rejection) || !(rejection.get("violations") instanceof List<?> list)) {
      return List.of();
    }
    List<Map<String, Object>> violations = new ArrayList<>();
    list.forEach(v -> violations.add(new LinkedHashMap<>((Map<String, Object>) v)));
    RuleMessages.localize(violations, t.chinese() ? "zh" : null);
    return reasonsOf(violations, t);
  }

  private static List<Views.Reason> reasonsOf(List<Map<String, Object>> violations, Texts t) {
    List<Views.Reason> out = new ArrayList<>();
    for (Map<String, Object> v : violations) {
      Object localized = v.get("localizedMessage");
      String message = localized != null ? localized.toString() : str(v.get("message"));
      if (localized == null && !str(v.get("value")).isEmpty() && !message.contains(str(v.get("value")))) {
        // the English rule message names the rule; the clerk also needs the numbers
        message += ": " + v.get("value") + (str(v.get("expected")).isEmpty() ? "" : ", " + t.get("col.expected").toLowerCase(java.util.Locale.ROOT)
            + " " + v.get("expected"));
      }
      out.add(new Views.Reason(str(v.get("code")), str(v.get("field")), str(v.get("value")), str(v.get("expected")), message));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private List<Views.Step> timeline(Map<String, Object> trace, Texts t) {
    List<Views.Step> steps = new ArrayList<>();
    if (trace.get("timeline") instanceof Map<?, ?> m) {
      for (String k : List.of("sourceCommit", "captured", "decided", "synced", "projected")) {
        Object v = ((Map<String, Object>) m).get(k);
        if (v != null) {
          steps.add(new Views.Step(t.get("timeline." + k), time(v.toString()), ""));
        }
      }
    }
    return steps;
  }

  private List<Views.Step> history(Map<String, Object> trace, Texts t) {
    List<Views.Step> steps = new ArrayList<>();
    if (trace.get("history") instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof AuditEntryView e) {
          String time = e.decidedAt() != null ? e.decidedAt() : e.recordedAt();
          String label = t.has("event." + e.event()) ? t.get("event." + e.event()) : e.event();
          steps.add(new Views.Step(label, time(time), e.stage() + (e.version() == null ? "" : " · v" + e.version())));
        }
      }
    }
    return steps;
  }

  private static Views.Row row(InvoiceView inv, Texts t) {
    return new Views.Row("/console/invoices/" + enc(inv.id()), inv.invoiceNumber(), inv.invoiceCode() == null ? "" : inv.invoiceCode(),
        inv.invoiceType(), inv.issueDate(), inv.seller() == null ? "" : inv.seller().name(), inv.buyer() == null ? "" : inv.buyer().name(),
        money(inv.grandTotal()), t.has("status." + inv.status()) ? t.get("status." + inv.status()) : inv.status());
  }

  /** The API's parameter names in a message, as the console's form names them. */
  private static String clerkWords(String message) {
    return message.replace("'invoiceNumber'", "'number'").replace("'invoiceCode'", "'code'").replace("'sellerTaxId'", "'seller'")
        .replace("'buyerTaxId'", "'buyer'");
  }

  // ---- plumbing

  Views.Page page(Context ctx, String titleKey, String active) {
    String asked = ctx.queryParam("lang");
    if ("zh".equals(asked) || "en".equals(asked)) {
      ctx.cookie(new Cookie(LANG_COOKIE, asked, "/", 60 * 60 * 24 * 365, secure(ctx), true, null, SameSite.LAX));
    } else {
      asked = ctx.cookie(LANG_COOKIE);
    }
    Texts t = Texts.of(Texts.choose(asked, ctx.header("Accept-Language")));
    String other = t.chinese() ? "en" : "zh";
    String qs = ctx.queryString() == null ? "" : ctx.queryString().replaceAll("(^|&)lang=[^&]*", "").replaceAll("^&", "");
    String switchHref = ctx.path() + "?" + (qs.isEmpty() ? "" : qs + "&") + "lang=" + other;
    String who = null;
    Caller caller = ApiSecurity.callerIfAny(ctx);
    if (jwt != null && caller != null) {
      who = caller.displayName();
    }
    return new Views.Page(t, t.get(titleKey, ""), switchHref, jwt != null, who, active);
  }

  void render(Context ctx, String template, Views.Page page, Object model) {
    StringOutput out = new StringOutput();
    templates.render(template, Map.of("p", page, "m", model), out);
    ctx.header("Content-Security-Policy", CSP).contentType("text/html; charset=utf-8").result(out.toString());
  }

  private static Map<String, String> form(Context ctx, String... names) {
    Map<String, String> form = new LinkedHashMap<>();
    for (String n : names) {
      String v = ctx.queryParam(n);
      if (v != null && !v.isBlank()) {
        form.put(n, v.strip());
      }
    }
    return form;
  }

  private static String query(Map<String, String> form) {
    StringBuilder q = new StringBuilder();
    form.forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(enc(k)).append('=').append(enc(v)));
    return q.toString();
  }

  private static void put(Map<String, List<String>> params, String name, String value) {
    if (value != null && !value.isBlank()) {
      params.put(name, List.of(value));
    }
  }

  /** A number as clerks copy it, read as the platform's files are: full-width digits and spaces are fine. */
  static String digits(String v) {
    String t = Values.text(v);
    return t == null ? null : t.replace(" ", "");
  }

  /** An amount as clerks type it, read as the platform's files are (thousands separators, ¥ or 元); a wrong one names the field. */
  static String amount(String field, String v) {
    try {
      BigDecimal a = Values.amount(v, 2);
      return a == null ? null : a.toPlainString();
    } catch (IllegalArgumentException e) {
      throw ProblemException.badParameter(field, v, e.getMessage());
    }
  }

  /** An ISO instant as a clerk reads it: local time in the console's zone, to the second, the zone's offset after it. */
  public String time(String iso) {
    if (iso == null || iso.isBlank()) {
      return "";
    }
    try {
      java.time.ZonedDateTime z = java.time.Instant.parse(iso).atZone(zone);
      String offset = z.getOffset().getId();
      return z.format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")) + " (UTC" + (offset.equals("Z") ? "" : offset)
          + ")";
    } catch (java.time.format.DateTimeParseException e) {
      return iso;
    }
  }

  private static String money(java.math.BigDecimal v) {
    return v == null ? "" : String.format("%,.2f", v);
  }

  static String str(Object o) {
    return o == null ? "" : o.toString();
  }

  static String enc(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }
}
