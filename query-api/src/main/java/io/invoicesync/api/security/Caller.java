package io.invoicesync.api.security;

import io.invoicesync.outcomes.Tenant;
import java.util.Set;

/**
 * Who asks: the token's subject (for logs and rate limits), its scopes, whose invoices it may see,
 * and the name a person reads in the console (the token's {@code preferred_username} or {@code name},
 * else the subject).
 */
public record Caller(String subject, Set<Scope> scopes, Tenant tenant, String displayName) {

  /** Authentication off ({@code api.auth.mode=none}): every scope, every taxpayer. */
  public static final Caller OPEN = new Caller("anonymous", Set.of(Scope.values()), Tenant.ALL);

  public Caller {
    scopes = Set.copyOf(scopes);
    displayName = displayName == null || displayName.isBlank() ? subject : displayName;
  }

  public Caller(String subject, Set<Scope> scopes, Tenant tenant) {
    this(subject, scopes, tenant, null);
  }
}
