package io.invoicesync.api.internal;

import io.invoicesync.api.security.Scope;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The query API's routes as data: each route's method, path, scope, what it does, the query
 * parameters it takes, its body and its answer. Routes are registered with Javalin only through
 * {@link #add}, which also refuses (400, naming it) a query parameter the route does not declare; so
 * the declarations the OpenAPI document is generated from ({@link OpenApiDocument}) are the ones
 * the handlers are held to, and a parameter read but not declared fails its first request.
 */
public final class RouteTable {

  /** One query parameter: its name, JSON-schema type and format, allowed values (none: any), and what it means. */
  public record Param(String name, String type, String format, List<String> values, String description) {

    public static Param text(String name, String description) {
      return new Param(name, "string", null, List.of(), description);
    }

    public static Param date(String name, String description) {
      return new Param(name, "string", "date", List.of(), description);
    }

    public static Param decimal(String name, String description) {
      return new Param(name, "string", "decimal", List.of(), description);
    }

    public static Param integer(String name, String description) {
      return new Param(name, "integer", null, List.of(), description);
    }

    public static Param oneOf(String name, List<String> values, String description) {
      return new Param(name, "string", null, List.copyOf(values), description);
    }
  }

  /** What a request carries: nothing, a JSON object, or multipart files (part {@code file}) and fields. */
  public enum Body { NONE, JSON, MULTIPART }

  /**
   * One route.
   *
   * @param what        how an unknown parameter's error names the route ("is not a search parameter")
   * @param success     the status of a successful answer
   * @param produces    its media type (null: no content)
   */
  public record Route(String method, String path, Scope scope, String tag, String summary, String description, List<Param> query,
                      Body body, int success, String produces, String what) {

    public static Route get(String path, Scope scope, String tag, String summary) {
      return new Route("GET", path, scope, tag, summary, null, List.of(), Body.NONE, 200, "application/json", null);
    }

    public static Route post(String path, Scope scope, String tag, String summary) {
      return new Route("POST", path, scope, tag, summary, null, List.of(), Body.JSON, 200, "application/json", null);
    }

    public static Route delete(String path, Scope scope, String tag, String summary) {
      return new Route("DELETE", path, scope, tag, summary, null, List.of(), Body.NONE, 204, null, null);
    }

    public Route describedAs(String text) {
      return new Route(method, path, scope, tag, summary, text, query, body, success, produces, what);
    }

    public Route query(Param... params) {
      return query(Arrays.asList(params));
    }

    public Route query(List<Param> params) {
      List<Param> all = new ArrayList<>(query);
      all.addAll(params);
      return new Route(method, path, scope, tag, summary, description, List.copyOf(all), body, success, produces, what);
    }

    public Route body(Body b) {
      return new Route(method, path, scope, tag, summary, description, query, b, success, produces, what);
    }

    public Route answers(int status, String mediaType) {
      return new Route(method, path, scope, tag, summary, description, query, body, status, mediaType, what);
    }

    public Route named(String label) {
      return new Route(method, path, scope, tag, summary, description, query, body, success, produces, label);
    }

    /** A route that ignores query parameters it does not declare (a probe's or scraper's cache-buster), instead of refusing them. */
    public Route lenient() {
      return new Route(method, path, scope, tag, summary, description, query, body, success, produces, LENIENT);
    }

    /** The path's own parameters, {@code {id}} and the like, in order. */
    public List<String> pathParams() {
      List<String> names = new ArrayList<>();
      Matcher m = PATH_PARAM.matcher(path);
      while (m.find()) {
        names.add(m.group(1));
      }
      return names;
    }

    public Set<String> queryNames() {
      return query.stream().map(Param::name).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** {@code GET /api/v1/invoices}: as Javalin lists it. */
    public String key() {
      return method + " " + path;
    }
  }

  /** {@code lang}: a language tag (zh, zh-CN, en) for the rule messages; without it, the Accept-Language header decides. */
  public static final Param LANG = Param.text("lang", "the language of rule messages, a language tag such as zh or en "
      + "(without it: the Accept-Language header; English when neither names one there are messages for)");

  private static final String LENIENT = "\u0000lenient";
  private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

  private final RoutesConfig routes;
  private final List<Route> all = new ArrayList<>();

  public RouteTable(RoutesConfig routes) {
    this.routes = routes;
  }

  /** Registers {@code route} with Javalin; its handler runs once the query parameters are ones it declares. */
  public void add(Route route, Handler handler) {
    if (all.stream().anyMatch(r -> r.key().equals(route.key()))) {
      throw new IllegalStateException(route.key() + " registered twice");
    }
    all.add(route);
    Set<String> known = route.queryNames();
    String what = route.what() != null ? route.what() : route.key();
    Handler checked = LENIENT.equals(route.what()) ? handler : ctx -> {
      new QueryParams(ctx.queryParamMap()).only(known, what);
      handler.handle(ctx);
    };
    switch (route.method()) {
      case "GET" -> routes.get(route.path(), checked, route.scope());
      case "POST" -> routes.post(route.path(), checked, route.scope());
      case "DELETE" -> routes.delete(route.path(), checked, route.scope());
      default -> throw new IllegalArgumentException("method " + route.method());
    }
  }

  /** Every route added, in order. */
  public List<Route> routes() {
    return List.copyOf(all);
  }

  /** The names of {@code params}, for a parser's own check. */
  public static Set<String> names(List<Param> params) {
    return params.stream().map(Param::name).collect(Collectors.toUnmodifiableSet());
  }
}
