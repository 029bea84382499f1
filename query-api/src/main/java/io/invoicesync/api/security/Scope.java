package io.invoicesync.api.security;

import io.javalin.security.RouteRole;

/**
 * What a route needs from the caller's token ({@code scope} claim, OAuth2 style). Every route of the
 * query API is registered with exactly one; {@link #PUBLIC} needs no token at all.
 */
public enum Scope implements RouteRole {
  /** Lookup, search, rejections, status counts. */
  INVOICES_READ("invoices:read"),
  /** Where an invoice is and why. */
  INVOICES_TRACE("invoices:trace"),
  /** Operators' endpoints: reconciliation reports, metrics (and DLT/resync ones to come). Also needs a token for all taxpayers. */
  OPERATIONS("operations"),
  /** Uploading the tax platform's files: {@code POST /api/v1/imports} and reading what an import decided. */
  IMPORTS("imports"),
  /** Webhook endpoints of the token's taxpayers: register, list, rotate, deliveries, resend, recover. */
  WEBHOOKS("webhooks"),
  /** An invoice's audit trail with its chain verified. */
  AUDIT("audit"),
  /** No token needed ({@code /health}: up or down, nothing else). */
  PUBLIC("");

  private final String value;

  Scope(String value) {
    this.value = value;
  }

  /** The scope as a token carries it, e.g. {@code invoices:read}. */
  public String value() {
    return value;
  }
}
