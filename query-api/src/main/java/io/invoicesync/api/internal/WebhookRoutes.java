package io.invoicesync.api.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Scope;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.webhooks.Endpoint;
import io.invoicesync.webhooks.Endpoints;
import io.invoicesync.webhooks.Messages;
import io.invoicesync.webhooks.Signatures;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Base64;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Webhook endpoints over HTTP, scope {@code webhooks}; each endpoint belongs to the taxpayers of the
 * token that registered it, and only a token holding all of them sees or changes it:
 * <ul>
 *   <li>{@code POST /api/v1/webhooks/endpoints} {@code {"url", "events"?, "description"?, "filter"?: {"sellerTaxId", "buyerTaxId",
 *       "invoiceType"}, "signature"?: "v1"|"v1a"}}: 201 with the endpoint and its {@code secret} (shown this once); with
 *       {@code v1a}, Ed25519: no secret leaves the store, the receiver verifies with the endpoint's {@code publicKey};</li>
 *   <li>{@code GET /api/v1/webhooks/endpoints}, {@code GET|DELETE /api/v1/webhooks/endpoints/{id}};</li>
 *   <li>{@code POST /api/v1/webhooks/endpoints/{id}/rotate-secret}: a new secret; the old one signs too for the overlap;</li>
 *   <li>{@code GET /api/v1/webhooks/endpoints/{id}/deliveries?status=&invoiceId=&limit=&before=}: messages, newest first, with
 *       status, attempts, the last response code and time;</li>
 *   <li>{@code POST /api/v1/webhooks/endpoints/{id}/messages/{messageId}/resend}: that message again, same id;</li>
 *   <li>{@code POST /api/v1/webhooks/endpoints/{id}/recover} {@code {"since", "until"?}}: enables the endpoint and sends again, in
 *       order, what did not arrive in that window;</li>
 *   <li>{@code GET /api/v1/events?after=CURSOR&wait=S&endpoint=ID}: a feed ({@code "mode": "pull"} at registration) for ERPs that
 *       cannot accept inbound HTTP: the same messages and ids, in the same order, long-polled.</li>
 * </ul>
 */
public final class WebhookRoutes {

  private static final Set<String> STATUSES = Set.of("PENDING", "DELIVERED", "FAILED");

  private final Endpoints endpoints;
  private final Messages messages;
  private final boolean allowHttp;
  private final boolean allowPrivate;
  private final Duration rotationOverlap;
  private final ObjectMapper json;

  public WebhookRoutes(Endpoints endpoints, Messages messages, boolean allowHttp, boolean allowPrivate, Duration rotationOverlap,
                       ObjectMapper json) {
    this.endpoints = endpoints;
    this.messages = messages;
    this.allowHttp = allowHttp;
    this.allowPrivate = allowPrivate;
    this.rotationOverlap = rotationOverlap;
    this.json = json;
  }

  public void register(RouteTable routes) {
    String base = "/api/v1/webhooks/endpoints";
    routes.add(RouteTable.Route.post(base, Scope.WEBHOOKS, "webhooks", "Register an endpoint (url, events, filter; or mode pull for a "
        + "feed) for the token's taxpayers; the answer holds its secret, once").answers(201, "application/json"), this::create);
    routes.add(RouteTable.Route.get(base, Scope.WEBHOOKS, "webhooks", "The token's endpoints"), this::list);
    routes.add(RouteTable.Route.get(base + "/{id}", Scope.WEBHOOKS, "webhooks", "One endpoint: its settings, state and counts"), this::get);
    routes.add(RouteTable.Route.delete(base + "/{id}", Scope.WEBHOOKS, "webhooks", "Remove an endpoint and what waits for it"),
        this::delete);
    routes.add(RouteTable.Route.post(base + "/{id}/rotate-secret", Scope.WEBHOOKS, "webhooks", "A new secret; the old one goes on "
        + "signing beside it for the overlap (24 h by default)").body(RouteTable.Body.NONE), this::rotate);
    routes.add(RouteTable.Route.get(base + "/{id}/deliveries", Scope.WEBHOOKS, "webhooks", "The endpoint's messages, newest first: "
        + "status, attempts, last response code and time").query(
            RouteTable.Param.oneOf("status", STATUSES.stream().sorted().toList(), "only messages in this state"),
            RouteTable.Param.text("invoiceId", "only this invoice's messages"),
            RouteTable.Param.integer("limit", "items per page, 1 to 500 (default 50)"),
            RouteTable.Param.integer("before", "the 'next' link's before")), this::deliveries);
    routes.add(RouteTable.Route.post(base + "/{id}/messages/{messageId}/resend", Scope.WEBHOOKS, "webhooks", "Send one message again")
        .body(RouteTable.Body.NONE).answers(202, "application/json"), this::resend);
    routes.add(RouteTable.Route.post(base + "/{id}/recover", Scope.WEBHOOKS, "webhooks", "Send again, in order, what the endpoint was "
        + "sent from 'since' (to 'until'), re-enabling it; body {since, until}").answers(202, "application/json"), this::recover);
    routes.add(RouteTable.Route.get("/api/v1/events", Scope.WEBHOOKS, "webhooks", "A feed: the same messages and ids a push endpoint "
        + "gets, in order, long-polled").query(
            RouteTable.Param.text("endpoint", "the feed's endpoint id (needed when the token's taxpayers have more than one)"),
            RouteTable.Param.text("after", "the previous page's next cursor (none: from the feed's first message)"),
            RouteTable.Param.integer("limit", "messages per page, 1 to 1000 (default 100)"),
            RouteTable.Param.integer("wait", "seconds to wait for messages when there are none yet, 0 to 30")), this::events);
  }

  private void create(Context ctx) throws SQLException {
    JsonNode body = body(ctx);
    List<String> events = new ArrayList<>();
    JsonNode ev = body.path("events");
    if (!ev.isMissingNode() && !ev.isNull()) {
      if (!ev.isArray()) {
        throw ProblemException.badParameter("events", ev.toString(), "a list of event types");
      }
      ev.forEach(e -> events.add(e.asText()));
    }
    JsonNode filter = body.path("filter");
    String mode = text(body, "mode") == null ? "push" : text(body, "mode");
    if (!mode.equals("push") && !mode.equals("pull")) {
      throw ProblemException.badParameter("mode", mode, "push (we POST to its url) or pull (it reads GET /api/v1/events)");
    }
    if (mode.equals("pull") && text(body, "url") != null) {
      throw ProblemException.badParameter("url", text(body, "url"), "a pull endpoint (a feed) has no url");
    }
    Endpoints.Spec spec = new Endpoints.Spec(mode.equals("pull") ? null : text(body, "url"), text(body, "description"), events, text(filter, "sellerTaxId"),
        text(filter, "buyerTaxId"), text(filter, "invoiceType"));
    if (mode.equals("push") && spec.url() == null) {
      throw ProblemException.badParameter("url", "", "the endpoint's URL is required (or \"mode\": \"pull\" for a feed read with GET /api/v1/events)");
    }
    if (spec.description() != null && spec.description().length() > 200) {
      throw ProblemException.badParameter("description", "(" + spec.description().length() + " characters)", "at most 200 characters");
    }
    String signature = text(body, "signature") == null ? "v1" : text(body, "signature");
    if (!signature.equals("v1") && !signature.equals("v1a")) {
      throw ProblemException.badParameter("signature", signature, "v1 (HMAC-SHA256 with a shared whsec_ secret, the default) or v1a "
          + "(Ed25519: the receiver verifies with the endpoint's public key, whpk_)");
    }
    Endpoint e;
    try {
      e = endpoints.create(tenant(ctx), spec, allowHttp, allowPrivate, signature.equals("v1a"));
    } catch (IllegalArgumentException bad) {
      String field = bad.getMessage().startsWith("url") ? "url" : bad.getMessage().contains("event type") ? "events" : "filter";
      throw ProblemException.badParameter(field, field.equals("url") ? spec.url() : "", bad.getMessage());
    }
    Map<String, Object> out = e.view();
    if (!signature.equals("v1a")) {
      out.put("secret", e.secret()); // shown this once; GET never shows it
    } // a v1a endpoint's signing key never leaves the store: the receiver needs only its publicKey, in the view
    ctx.status(201).header("Location", "/api/v1/webhooks/endpoints/" + e.id()).json(out);
  }

  private void list(Context ctx) throws SQLException {
    List<Map<String, Object>> items = new ArrayList<>();
    for (Endpoint e : endpoints.list(tenant(ctx))) {
      items.add(e.view());
    }
    ctx.json(Map.of("items", items));
  }

  private void get(Context ctx) throws SQLException {
    ctx.json(endpoint(ctx).view());
  }

  private void delete(Context ctx) throws SQLException {
    if (!endpoints.delete(tenant(ctx), ctx.pathParam("id"))) {
      throw notFound(ctx.pathParam("id"));
    }
    ctx.status(204);
  }

  private void rotate(Context ctx) throws SQLException {
    Endpoint e = endpoints.rotate(tenant(ctx), ctx.pathParam("id"), rotationOverlap).orElseThrow(() -> notFound(ctx.pathParam("id")));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", e.id());
    if (Signatures.publicKey(e.secret()) != null) {
      out.put("publicKey", Signatures.publicKey(e.secret()));
    } else {
      out.put("secret", e.secret());
    }
    out.put("previousSecretValidUntil", e.previousSecretUntil() == null ? null : e.previousSecretUntil().toString());
    ctx.json(out);
  }

  private void deliveries(Context ctx) throws SQLException {
    Endpoint e = endpoint(ctx);
    String status = ctx.queryParam("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ProblemException.badParameter("status", status, "one of " + STATUSES);
    }
    int limit = intParam(ctx, "limit", 50, 1, 500);
    Long before = null;
    if (ctx.queryParam("before") != null) {
      try {
        before = Long.parseLong(ctx.queryParam("before"));
      } catch (NumberFormatException notANumber) {
        throw ProblemException.badParameter("before", ctx.queryParam("before"), "the 'next' link's before, a whole number");
      }
    }
    List<Messages.Delivery> items = messages.list(e.id(), status, ctx.queryParam("invoiceId"), before, limit + 1);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", (items.size() > limit ? items.subList(0, limit) : items).stream().map(Messages.Delivery::view).toList());
    out.put("next", items.size() > limit ? "/api/v1/webhooks/endpoints/" + e.id() + "/deliveries?limit=" + limit + "&before="
        + items.get(limit - 1).seq() + (status == null ? "" : "&status=" + status) : null);
    ctx.json(out);
  }

  private void resend(Context ctx) throws SQLException {
    Endpoint e = pushEndpoint(ctx);
    String messageId = ctx.pathParam("messageId");
    if (!messages.resend(e.id(), messageId)) {
      throw new ProblemException(404, "Not found", "the endpoint has no message with this id", List.of());
    }
    ctx.status(202).json(Map.of("id", messageId, "status", "PENDING"));
  }

  private void recover(Context ctx) throws SQLException {
    Endpoint e = pushEndpoint(ctx);
    JsonNode body = body(ctx);
    Instant since = instant(body, "since", true);
    Instant until = instant(body, "until", false);
    if (until != null && !until.isAfter(since)) {
      throw ProblemException.badParameter("until", until.toString(), "after since (" + since + ")");
    }
    boolean enabled = !e.enabled() && endpoints.enable(tenant(ctx), e.id());
    int n = messages.recover(e.id(), since, until);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", e.id());
    out.put("requeued", n);
    out.put("reenabled", enabled);
    ctx.status(202).json(out);
  }

  /** A feed is read again from an earlier cursor; resend and recover are for endpoints we post to. */
  private Endpoint pushEndpoint(Context ctx) throws SQLException {
    Endpoint e = endpoint(ctx);
    if (e.pull()) {
      throw new ProblemException(409, "A feed", "this endpoint is a feed: read GET /api/v1/events again from an earlier cursor", List.of());
    }
    return e;
  }

  /**
   * A feed's messages after {@code after} (the {@code next} of the previous page; none: from its first), the same messages and ids a
   * push endpoint gets, in the same order; with {@code wait=S} (at most 30) it answers as soon as there are some, or after S seconds
   * with none. The feed is {@code endpoint}, or the token's only pull endpoint.
   */
  private void events(Context ctx) throws SQLException {
    Tenant tenant = tenant(ctx);
    Endpoint feed;
    String id = ctx.queryParam("endpoint");
    if (id != null) {
      feed = endpoints.find(tenant, id).filter(Endpoint::pull).orElseThrow(() -> notFound(id));
    } else {
      List<Endpoint> feeds = endpoints.list(tenant).stream().filter(Endpoint::pull).toList();
      if (feeds.isEmpty()) {
        throw new ProblemException(404, "No feed", "this token's taxpayers have no feed yet: POST /api/v1/webhooks/endpoints "
            + "{\"mode\": \"pull\"} registers one, and events are kept for it from then on", List.of());
      }
      if (feeds.size() > 1) {
        throw ProblemException.badParameter("endpoint", "", "this token's taxpayers have " + feeds.size() + " feeds: name one");
      }
      feed = feeds.get(0);
    }
    long after = cursor(ctx.queryParam("after"));
    int limit = intParam(ctx, "limit", 100, 1, 1000);
    int wait = intParam(ctx, "wait", 0, 0, 30);
    List<Messages.FeedItem> now = messages.feed(feed.id(), after, limit);
    if (!now.isEmpty() || wait == 0) {
      ctx.json(page(feed, after, now));
      return;
    }
    // a long poll holds no thread while it waits: the store is asked again every 250 ms on a shared scheduler
    CompletableFuture<Map<String, Object>> answer = new CompletableFuture<>();
    long deadline = System.nanoTime() + wait * 1_000_000_000L;
    java.util.concurrent.ScheduledFuture<?> poll = LONG_POLLS.scheduleWithFixedDelay(() -> {
      try {
        List<Messages.FeedItem> items = messages.feed(feed.id(), after, limit);
        if (!items.isEmpty() || System.nanoTime() > deadline) {
          answer.complete(page(feed, after, items));
        }
      } catch (SQLException | RuntimeException e) {
        answer.completeExceptionally(e);
      }
    }, 250, 250, TimeUnit.MILLISECONDS);
    answer.whenComplete((r, e) -> poll.cancel(false));
    ctx.future(() -> answer.thenAccept(ctx::json));
  }

  private static final ScheduledExecutorService LONG_POLLS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "query-api-long-polls");
    t.setDaemon(true);
    return t;
  });

  private Map<String, Object> page(Endpoint feed, long after, List<Messages.FeedItem> items) {
    List<Object> out = new ArrayList<>();
    for (Messages.FeedItem i : items) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", i.id());
      try {
        json.readTree(i.body()).fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue()));
      } catch (IOException e) {
        throw new IllegalStateException("a stored message body is not JSON", e);
      }
      out.add(m);
    }
    long last = items.isEmpty() ? after : items.get(items.size() - 1).seq();
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("endpoint", feed.id());
    page.put("items", out);
    page.put("next", Base64.getUrlEncoder().withoutPadding().encodeToString(("c1:" + last).getBytes(StandardCharsets.UTF_8)));
    return page;
  }

  private static long cursor(String raw) {
    if (raw == null || raw.isBlank()) {
      return 0;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(raw), StandardCharsets.UTF_8);
      if (s.startsWith("c1:")) {
        return Long.parseLong(s.substring(3));
      }
    } catch (IllegalArgumentException notOurs) {
      // said below
    }
    throw ProblemException.badParameter("after", raw, "the 'next' of a previous page, as it was");
  }

  private Endpoint endpoint(Context ctx) throws SQLException {
    String id = ctx.pathParam("id");
    return endpoints.find(tenant(ctx), id).orElseThrow(() -> notFound(id));
  }

  private static ProblemException notFound(String id) {
    // the same answer for another tenant's endpoint as for none: ids are not probed
    return new ProblemException(404, "Not found", "no webhook endpoint with this id for this token's taxpayers", List.of());
  }

  private static Tenant tenant(Context ctx) {
    return ApiSecurity.caller(ctx).tenant();
  }

  private JsonNode body(Context ctx) {
    String raw = ctx.body();
    if (raw.isBlank()) {
      return json.createObjectNode();
    }
    try {
      JsonNode n = json.readTree(raw);
      if (!n.isObject()) {
        throw ProblemException.badParameter("body", "", "a JSON object");
      }
      return n;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw ProblemException.badParameter("body", "", "not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ProblemException.badParameter("body", "", "not readable");
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isMissingNode() || v.isNull() || v.asText().isBlank() ? null : v.asText().trim();
  }

  private static Instant instant(JsonNode body, String field, boolean required) {
    String v = text(body, field);
    if (v == null) {
      if (required) {
        throw ProblemException.badParameter(field, "", "required: an ISO instant such as 2026-12-06T08:00:00Z");
      }
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw ProblemException.badParameter(field, v, "an ISO instant such as 2026-12-06T08:00:00Z");
    }
  }

  private static int intParam(Context ctx, String name, int byDefault, int min, int max) {
    String v = ctx.queryParam(name);
    if (v == null) {
      return byDefault;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw ProblemException.badParameter(name, v, "between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ProblemException.badParameter(name, v, "a whole number");
    }
  }
}
