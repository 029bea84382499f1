package io.invoicesync.outcomes;

import java.util.Set;
import java.util.TreeSet;

/**
 * Whose invoices a caller may see: those where the seller or the buyer is one of {@code taxIds}, or
 * every invoice ({@link #ALL}: authentication off, or a token granting all taxpayers). Every read of
 * the query store takes one, and applies it in SQL ({@link #sql}); no endpoint can forget it.
 */
public record Tenant(boolean all, Set<String> taxIds) {

  /** Every taxpayer: {@code api.auth.mode=none}, the CLI on the store itself, or a token with {@code "*"} among its tax ids. */
  public static final Tenant ALL = new Tenant(true, Set.of());

  public Tenant {
    taxIds = Set.copyOf(new TreeSet<>(taxIds));
  }

  public static Tenant of(Set<String> taxIds) {
    return new Tenant(false, taxIds);
  }

  /**
   * A condition to AND into a WHERE clause: the row's seller or buyer is one of the tenant's tax ids;
   * empty for {@link #ALL}. {@code buyerColumn} may be null for tables that record the seller only.
   * Bind its arguments with {@link #bind}.
   */
  public String sql(String sellerColumn, String buyerColumn) {
    if (all) {
      return "";
    }
    return buyerColumn == null ? " AND " + sellerColumn + " = ANY (?)"
        : " AND (" + sellerColumn + " = ANY (?) OR " + buyerColumn + " = ANY (?))";
  }

  /** The arguments of {@link #sql} for the same columns, to append to a statement's argument list. */
  public void bind(java.util.List<Object> args, boolean withBuyer) {
    if (all) {
      return;
    }
    String[] ids = taxIds.toArray(String[]::new);
    args.add(ids);
    if (withBuyer) {
      args.add(ids);
    }
  }

  /** For logs: how many taxpayers, never which. */
  @Override
  public String toString() {
    return all ? "Tenant[all]" : "Tenant[" + taxIds.size() + " tax ids]";
  }
}
