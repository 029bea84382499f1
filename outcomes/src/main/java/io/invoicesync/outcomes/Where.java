package io.invoicesync.outcomes;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A WHERE condition and its arguments, built term by term: a reader of the query store starts from
 * its caller's {@link Tenant#where} (so the tenant's condition is always the first term) and adds
 * its filters, then writes {@link #sql()} into its statement and {@link #bind}s the arguments in the
 * same order. Immutable: each {@code and} returns a new condition.
 *
 * <pre>{@code
 * Where w = tenant.where("seller_tax_id", "buyer_tax_id").andIfPresent("issue_date >= ?", from);
 * PreparedStatement ps = c.prepareStatement("SELECT * FROM invoice WHERE " + w.sql() + " LIMIT ?");
 * ps.setInt(w.bind(ps), limit);
 * }</pre>
 *
 * A term is one boolean expression whose {@code ?} placeholders take its arguments in order; a term
 * with {@code OR} at its top level must bring its own parentheses. A {@code String[]} argument (a
 * set of tax ids) is bound as a {@code text[]}; pass it as {@code (Object) ids}, or varargs would
 * spread it into one argument per element.
 */
public final class Where {

  private static final Where ALWAYS = new Where(List.of(), List.of());

  private final List<String> terms;
  private final List<Object> args;

  private Where(List<String> terms, List<Object> args) {
    this.terms = terms;
    this.args = args;
  }

  /** No condition: every row ({@link #sql()} is {@code true}). */
  public static Where always() {
    return ALWAYS;
  }

  /**
   * This condition and {@code term}, whose placeholders take {@code args}.
   *
   * @throws IllegalArgumentException when the number of {@code ?} in {@code term} is not the number of {@code args}
   */
  public Where and(String term, Object... args) {
    if (term == null || term.isBlank()) {
      throw new IllegalArgumentException("a WHERE term must not be blank");
    }
    long placeholders = term.chars().filter(ch -> ch == '?').count();
    if (placeholders != args.length) {
      throw new IllegalArgumentException("WHERE term '" + term + "' has " + placeholders + " placeholder(s) but " + args.length
          + " argument(s)");
    }
    List<String> t = new ArrayList<>(terms);
    t.add(term);
    List<Object> a = new ArrayList<>(this.args);
    Collections.addAll(a, args);
    return new Where(List.copyOf(t), Collections.unmodifiableList(a)); // unmodifiable, not copyOf: an argument may be SQL NULL
  }

  /** An optional filter: this condition and {@code term} when {@code value} is set, else this condition unchanged. */
  public Where andIfPresent(String term, Object value) {
    return value == null ? this : and(term, value);
  }

  /** The condition, without the word WHERE: its terms joined by AND, or {@code true} when there are none. */
  public String sql() {
    return terms.isEmpty() ? "true" : String.join(" AND ", terms);
  }

  /** The arguments of {@link #sql()}, in placeholder order. */
  public List<Object> args() {
    return args;
  }

  /**
   * Binds the arguments to {@code ps} from its first parameter on.
   *
   * @return the index of the next parameter, for arguments that follow the condition (a LIMIT)
   */
  public int bind(PreparedStatement ps) throws SQLException {
    Sql.bind(ps, args);
    return args.size() + 1;
  }

  /** For logs and failures: the SQL and how many arguments, never their values (tax ids among them). */
  @Override
  public String toString() {
    return "Where[" + sql() + "; " + args.size() + " args]";
  }
}
