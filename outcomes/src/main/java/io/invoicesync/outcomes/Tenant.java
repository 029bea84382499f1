package io.invoicesync.outcomes;

import java.util.Set;
import java.util.TreeSet;

/**
 * Whose invoices a caller may see: those where the seller or the buyer is one of {@code taxIds}, or
 * every invoice ({@link #ALL}: authentication off, or a token granting all taxpayers). Every read of
 * the query store takes one and starts its condition from it ({@link #where}); no endpoint can forget it.
 */
public record Tenant(boolean all, Set<String> taxIds) {

  /** Every taxpayer: {@code api.auth.mode=none}, the CLI on the store itself, or a token with the scope {@code invoices:all}. */
  public static final Tenant ALL = new Tenant(true, Set.of());

  public Tenant {
    taxIds = Set.copyOf(new TreeSet<>(taxIds));
  }

  public static Tenant of(Set<String> taxIds) {
    return new Tenant(false, taxIds);
  }

  /**
   * The condition of rows this tenant may see, to add filters to: the row's seller or buyer is one of
   * the tenant's tax ids; no condition for {@link #ALL}.
   */
  public Where where(String sellerColumn, String buyerColumn) {
    if (all) {
      return Where.always();
    }
    String[] ids = ids();
    return Where.always().and("(" + sellerColumn + " = ANY (?) OR " + buyerColumn + " = ANY (?))", ids, ids);
  }

  /** As {@link #where(String, String)} for a table that records the seller only (the outcome and audit tables). */
  public Where where(String sellerColumn) {
    return all ? Where.always() : Where.always().and(sellerColumn + " = ANY (?)", (Object) ids());
  }

  private String[] ids() {
    return taxIds.toArray(String[]::new);
  }

  /** For logs: how many taxpayers, never which. */
  @Override
  public String toString() {
    return all ? "Tenant[all]" : "Tenant[" + taxIds.size() + " tax ids]";
  }
}
