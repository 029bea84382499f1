package io.invoicesync.api.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.invoicesync.api.internal.ProblemException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The query API's front door, installed into Javalin: security headers on every answer; for every
 * matched route, the caller authenticated (bearer JWT, or {@link Caller#OPEN} when authentication
 * is off), the route's {@link Scope} required (a route registered without one is refused: fail
 * closed), operators' routes limited to tokens for all taxpayers, and a per-caller rate limit
 * (Bucket4j token buckets). Handlers read the caller with {@link #caller}.
 */
public final class ApiSecurity {

  private static final String CALLER = "invoicesync.caller";

  private final JwtAuthenticator jwt;
  private final int perMinute;
  private final boolean https;
  /** Per caller (and per client address for failed authentications); bounded, idle entries expire: no growth without bound. */
  private final Cache<String, Bucket> buckets = Caffeine.newBuilder()
      .maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(2)).build();

  /**
   * @param jwt the token validator, or null when authentication is off ({@code api.auth.mode=none})
   * @param perMinute requests per minute per caller; 0 = no limit
   * @param https whether the API serves TLS (adds Strict-Transport-Security)
   */
  public ApiSecurity(JwtAuthenticator jwt, int perMinute, boolean https) {
    this.jwt = jwt;
    this.perMinute = perMinute;
    this.https = https;
  }

  public void install(JavalinConfig cfg, List<String> corsOrigins) {
    cfg.routes.before(this::headers);
    cfg.routes.beforeMatched(this::authorize);
    if (!corsOrigins.isEmpty()) {
      cfg.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
        String first = corsOrigins.get(0);
        rule.allowHost(first, corsOrigins.subList(1, corsOrigins.size()).toArray(String[]::new));
        rule.exposeHeader("Retry-After");
        rule.exposeHeader("X-Correlation-Id");
      }));
    }
  }

  /** The caller of a request that passed {@link #authorize}. */
  public static Caller caller(Context ctx) {
    Caller c = ctx.attribute(CALLER);
    if (c == null) {
      throw new IllegalStateException("no authenticated caller on " + ctx.path() + ": the route was registered without a scope");
    }
    return c;
  }

  /** The caller of a request that passed {@link #authorize}, or null on a public route. */
  public static Caller callerIfAny(Context ctx) {
    return ctx.attribute(CALLER);
  }

  private void headers(Context ctx) {
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cache-Control", "no-store");
    if (https) {
      ctx.header("Strict-Transport-Security", "max-age=31536000");
    }
  }

  private void authorize(Context ctx) {
    Set<RouteRole> roles = ctx.routeRoles();
    if (roles.contains(Scope.PUBLIC)) {
      return;
    }
    if (roles.size() != 1 || !(roles.iterator().next() instanceof Scope required)) {
      throw new ProblemException(403, "Forbidden", "this route declares no scope, so no caller may use it", List.of());
    }
    Caller caller = jwt == null ? Caller.OPEN : authenticate(ctx);
    if (!caller.scopes().contains(required)) {
      throw new ProblemException(403, "Forbidden", "the token lacks the scope '" + required.value() + "' this endpoint needs", List.of());
    }
    if (required == Scope.OPERATIONS && !caller.tenant().all()) {
      throw new ProblemException(403, "Forbidden", "this endpoint spans every taxpayer: it needs a token with the scope '"
          + JwtAuthenticator.ALL_TAXPAYERS_SCOPE + "'", List.of());
    }
    limit(ctx, jwt == null ? "ip:" + ctx.ip() : "sub:" + caller.subject());
    ctx.attribute(CALLER, caller);
  }

  private Caller authenticate(Context ctx) {
    String header = ctx.header("Authorization");
    boolean console = ctx.path().equals("/console") || ctx.path().startsWith("/console/");
    if ((header == null || header.isBlank()) && console) {
      // the console's pages: the token the sign-in page kept in the console's cookie (HttpOnly, SameSite=Strict, path /console)
      String kept = ctx.cookie(io.invoicesync.api.console.ConsoleRoutes.TOKEN_COOKIE);
      if (kept != null && !kept.isBlank()) {
        header = "Bearer " + kept;
      }
    }
    if (header == null || header.isBlank()) {
      throw unauthorized(ctx, null, "this endpoint needs a bearer token: 'Authorization: Bearer <JWT>'");
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthorized(ctx, "invalid_request", "the Authorization header must use the Bearer scheme");
    }
    try {
      return jwt.authenticate(header.substring(7).strip());
    } catch (AuthenticationException e) {
      limit(ctx, "failed:" + ctx.ip()); // guessing tokens costs a signature check each: limited per client address
      throw unauthorized(ctx, "invalid_token", e.getMessage());
    } catch (JwtAuthenticator.KeysUnavailableException e) {
      ctx.header("Retry-After", "10");
      throw new ProblemException(503, "Service unavailable", "the identity provider's signing keys cannot be fetched right now; retry "
          + "shortly", List.of());
    }
  }

  private static ProblemException unauthorized(Context ctx, String error, String detail) {
    ctx.header("WWW-Authenticate", "Bearer realm=\"invoice-sync\"" + (error == null ? "" : ", error=\"" + error + "\""));
    return new ProblemException(401, "Unauthorized", detail, List.of());
  }

  /** A token refused somewhere else than the Authorization header (the console's sign-in): limited per client address, as here. */
  public void countRefusedToken(Context ctx) {
    limit(ctx, "failed:" + ctx.ip());
  }

  private void limit(Context ctx, String key) {
    if (perMinute == 0) {
      return;
    }
    Bucket bucket = buckets.get(key, k -> Bucket.builder()
        .addLimit(l -> l.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1))).build());
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (!probe.isConsumed()) {
      long seconds = Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1);
      ctx.header("Retry-After", Long.toString(seconds));
      throw new ProblemException(429, "Too many requests", "more than " + perMinute + " requests a minute; retry in " + seconds + " s",
          List.of());
    }
  }
}
