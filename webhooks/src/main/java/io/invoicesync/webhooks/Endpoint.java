package io.invoicesync.webhooks;

import io.invoicesync.outcomes.Tenant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A registered receiver: where to send, which event types (empty: all), an optional filter, whose
 * invoices it may receive ({@code tenant}: the taxpayers of the token that registered it; every
 * taxpayer for an operator's), and its signing secrets. Its {@link #view()} never shows the secrets:
 * they are shown once, when made ({@link Endpoints#create}, {@link Endpoints#rotate}).
 */
public record Endpoint(String id, String url, String description, Set<EventType> eventTypes, String sellerTaxId, String buyerTaxId,
                       String invoiceType, Tenant tenant, String secret, String previousSecret,
                       Instant previousSecretUntil, String origin, boolean enabled, String disabledReason, Instant failingSince,
                       Instant createdAt, Instant updatedAt) {

  public Endpoint {
    eventTypes = Set.copyOf(eventTypes);
  }

  /** A feed the ERP pulls ({@code GET /api/v1/events}) instead of a URL we post to. */
  public boolean pull() {
    return url == null;
  }

  /** The wire names of its event types (empty: every type), for the API. */
  public List<String> events() {
    return eventTypes.stream().map(EventType::wire).sorted().toList();
  }

  /** Whose invoices it receives: the tax ids, or null for every taxpayer. */
  public List<String> taxIds() {
    return tenant.all() ? null : List.copyOf(tenant.taxIds());
  }

  /** Whether a message of {@code type} about an invoice of these parties is for this endpoint (its tenant, types and filter). */
  public boolean wants(EventType type, String seller, String buyer, String type2) {
    if (type.operational() ? !eventTypes.contains(type) : !eventTypes.isEmpty() && !eventTypes.contains(type)) {
      return false;
    }
    if (!tenant.all() && !(seller != null && tenant.taxIds().contains(seller)) && !(buyer != null && tenant.taxIds().contains(buyer))) {
      return false;
    }
    return (sellerTaxId == null || sellerTaxId.equals(seller)) && (buyerTaxId == null || buyerTaxId.equals(buyer))
        && (invoiceType == null || invoiceType.equals(type2));
  }

  /** The secrets that sign a delivery at {@code now}: the current one, and the previous until its overlap ends. */
  public List<String> signingSecrets(Instant now) {
    List<String> out = new ArrayList<>(List.of(secret));
    if (previousSecret != null && previousSecretUntil != null && now.isBefore(previousSecretUntil)) {
      out.add(previousSecret);
    }
    return out;
  }

  /** The endpoint as the API and the CLI show it: never its secrets. */
  public Map<String, Object> view() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("mode", pull() ? "pull" : "push");
    m.put("url", url);
    m.put("description", description);
    m.put("events", events());
    Map<String, Object> filter = new LinkedHashMap<>();
    filter.put("sellerTaxId", sellerTaxId);
    filter.put("buyerTaxId", buyerTaxId);
    filter.put("invoiceType", invoiceType);
    m.put("filter", filter);
    m.put("taxIds", taxIds());
    m.put("origin", origin);
    m.put("enabled", enabled);
    m.put("disabledReason", disabledReason);
    m.put("failingSince", text(failingSince));
    m.put("previousSecretValidUntil", text(previousSecretUntil));
    m.put("signature", Signatures.scheme(secret));
    if (secret != null && Signatures.publicKey(secret) != null) {
      m.put("publicKey", Signatures.publicKey(secret)); // what a v1a receiver verifies with: public, shown whenever asked
    }
    m.put("createdAt", text(createdAt));
    m.put("deliveries", pull() ? "/api/v1/events?endpoint=" + id : "/api/v1/webhooks/endpoints/" + id + "/deliveries");
    return m;
  }

  static String text(Instant i) {
    return i == null ? null : i.toString();
  }
}
