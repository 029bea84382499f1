package io.invoicesync.api.internal;

import io.invoicesync.outcomes.trace.RuleMessages;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request's query parameters, read as types: each reader checks its parameter and, when it is
 * wrong, throws a {@link ProblemException} that names it, the value seen and why. A blank value is
 * no value; of a repeated parameter the first counts.
 */
public final class QueryParams {

  /** How many items a page holds when the request does not say ({@code api.default.limit}), and at most ({@code api.max.limit}). */
  public record Limits(int byDefault, int max) {
  }

  private final Map<String, List<String>> params;

  /** @param params each parameter's values in the order given (Javalin's {@code ctx.queryParamMap()}) */
  public QueryParams(Map<String, List<String>> params) {
    this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params)); // in their order: the first unknown one is named
  }

  /** Refuses a parameter the endpoint does not know, naming it (a typo would otherwise widen a search silently). */
  public QueryParams only(Set<String> known, String what) {
    for (String p : params.keySet()) {
      if (!known.contains(p)) {
        throw ProblemException.badParameter(p, raw(p), "is not a " + what + " parameter"
            + (known.isEmpty() ? " (it takes none)" : " (use one of " + new TreeSet<>(known) + ")"));
      }
    }
    return this;
  }

  /** The value as given (null when absent). */
  public String raw(String name) {
    List<String> values = params.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The value, or null when absent or blank. */
  public String text(String name) {
    String v = raw(name);
    return v == null || v.isBlank() ? null : v;
  }

  /** An ISO date ({@code yyyy-MM-dd}), or null. */
  public LocalDate date(String name) {
    String v = text(name);
    if (v == null) {
      return null;
    }
    try {
      return LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw ProblemException.badParameter(name, v, "must be an ISO date (yyyy-MM-dd)");
    }
  }

  /** A decimal amount, or null. */
  public BigDecimal amount(String name) {
    String v = text(name);
    if (v == null) {
      return null;
    }
    try {
      return new BigDecimal(v);
    } catch (NumberFormatException e) {
      throw ProblemException.badParameter(name, v, "must be a decimal amount, e.g. 1130.00");
    }
  }

  /** {@code limit}: between 1 and the maximum, the default when not given. */
  public int limit(Limits limits) {
    String v = text("limit");
    if (v == null) {
      return limits.byDefault();
    }
    try {
      int limit = Integer.parseInt(v);
      if (limit < 1 || limit > limits.max()) {
        throw ProblemException.badParameter("limit", v, "must be between 1 and " + limits.max());
      }
      return limit;
    } catch (NumberFormatException e) {
      throw ProblemException.badParameter("limit", v, "must be an integer between 1 and " + limits.max());
    }
  }

  /** The language of rule messages asked for: {@code lang} first, then the Accept-Language header; null for English. */
  public String language(String acceptLanguage) {
    return RuleMessages.language(raw("lang"), acceptLanguage);
  }

  /** Refuses {@code from} after {@code to}. */
  static void ordered(LocalDate from, LocalDate to) {
    if (from != null && to != null && from.isAfter(to)) {
      throw ProblemException.badParameter("from", from.toString(), "is after 'to' (" + to + ")");
    }
  }
}
