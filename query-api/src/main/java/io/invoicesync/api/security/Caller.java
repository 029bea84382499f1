package io.invoicesync.api.security;

import io.invoicesync.outcomes.Tenant;
import java.util.Set;

/** Who asks: the token's subject (for logs and rate limits), its scopes, and whose invoices it may see. */
public record Caller(String subject, Set<Scope> scopes, Tenant tenant) {

  /** Authentication off ({@code api.auth.mode=none}): every scope, every taxpayer. */
  public static final Caller OPEN = new Caller("anonymous", Set.of(Scope.values()), Tenant.ALL);

  public Caller {
    scopes = Set.copyOf(scopes);
  }
}
