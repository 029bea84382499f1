package io.invoicesync.webhooks;

import io.invoicesync.outcomes.Tenant;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * The endpoints in the query store ({@code webhook_endpoint}). Every read and write takes the
 * caller's {@link Tenant}: a token sees and manages only the endpoints registered for taxpayers it
 * holds (all of them); endpoints of every taxpayer (operators', {@code tenant_tax_ids} NULL) only a
 * token of every taxpayer.
 */
public final class Endpoints {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a caller asks for when registering. */
  public record Spec(String url, String description, List<String> events, String sellerTaxId, String buyerTaxId, String invoiceType) {

    /** A feed: no URL, the ERP pulls its messages. */
    public boolean pull() {
      return url == null;
    }
  }

  private final DataSource store;

  public Endpoints(DataSource store) {
    this.store = store;
  }

  /**
   * Checks an endpoint URL: absolute, https (or http when {@code allowHttp}), a host, no user info; and unless
   * {@code allowPrivate}, not this machine or a private network (loopback, link-local such as 169.254.169.254, site-local,
   * unique-local, multicast): a token's holder must not make the dispatcher probe the deployment's own network. A name is
   * resolved once, here; one that does not resolve is accepted (its deliveries fail until it does).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static URI checkUrl(String url, boolean allowHttp, boolean allowPrivate) {
    URI uri;
    try {
      uri = new URI(url == null ? "" : url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("url is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(allowHttp && scheme.equals("http"))) {
      throw new IllegalArgumentException("url must be https://" + (allowHttp ? " or http://" : " (webhooks.allow.http=false)") + ", not '"
          + (scheme.isEmpty() ? "(none)" : scheme) + "'");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new IllegalArgumentException("url has no host");
    }
    if (uri.getUserInfo() != null) {
      throw new IllegalArgumentException("url must not carry a user or password; the signature authenticates the sender");
    }
    if (!allowPrivate) {
      String host = uri.getHost().toLowerCase(Locale.ROOT);
      if (host.equals("localhost") || host.endsWith(".localhost")) {
        throw new IllegalArgumentException("url points at this machine (webhooks.allow.private.addresses=false)");
      }
      try {
        for (java.net.InetAddress a : java.net.InetAddress.getAllByName(host)) {
          if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isMulticastAddress()
              || (a instanceof java.net.Inet6Address && (a.getAddress()[0] & 0xfe) == 0xfc)) {
            throw new IllegalArgumentException("url points at a private or local address (webhooks.allow.private.addresses=false)");
          }
        }
      } catch (java.net.UnknownHostException unresolved) {
        // accepted: nothing to deliver to until it resolves, and nothing learned about this network
      }
    }
    return uri;
  }

  /** The event types named (empty: every type). @throws IllegalArgumentException naming an unknown one and what is known */
  public static Set<EventType> eventTypes(List<String> names) {
    Set<EventType> out = EnumSet.noneOf(EventType.class);
    for (String n : names == null ? List.<String>of() : names) {
      if (n == null || n.isBlank()) {
        continue;
      }
      out.add(EventType.of(n).orElseThrow(() -> new IllegalArgumentException("unknown event type '" + n + "'; known: " + EventType.names())));
    }
    return out;
  }

  /**
   * Registers an endpoint for {@code owner}'s taxpayers with a new secret; the returned endpoint carries it (shown once).
   * {@code allowHttp}, {@code allowPrivate}: as {@link #checkUrl(String, boolean, boolean)}.
   */
  public Endpoint create(Tenant owner, Spec spec, boolean allowHttp, boolean allowPrivate) throws SQLException {
    return create(owner, spec, allowHttp, allowPrivate, false);
  }

  /**
   * As {@link #create(Tenant, Spec, boolean, boolean)}; with {@code asymmetric}, signed {@code v1a} with a new Ed25519 key whose
   * public key the receiver verifies with (the endpoint's {@code publicKey}), instead of a shared {@code v1} secret.
   */
  public Endpoint create(Tenant owner, Spec spec, boolean allowHttp, boolean allowPrivate, boolean asymmetric) throws SQLException {
    if (!spec.pull()) {
      checkUrl(spec.url(), allowHttp, allowPrivate);
    }
    Set<EventType> types = eventTypes(spec.events());
    if (!owner.all() && owner.taxIds().isEmpty()) {
      throw new IllegalArgumentException("the token names no taxpayer (tax_ids): an endpoint receives the invoices of its token's taxpayers");
    }
    if (!owner.all()) {
      for (String filter : new String[] {spec.sellerTaxId(), spec.buyerTaxId()}) {
        if (filter != null && !owner.taxIds().contains(filter)) {
          // a filter on another taxpayer could only ever match invoices where this tenant is the other party; refuse the confusion
          throw new IllegalArgumentException("a seller or buyer filter names one of the token's taxpayers");
        }
      }
    }
    String id = "ep_" + HexFormat.of().formatHex(random(12));
    return insert(id, owner, spec, types, asymmetric ? Signatures.newSigningKey() : Signatures.newSecret(), "api");
  }

  /** Inserts or replaces an operator's endpoint from the configuration (every taxpayer), keeping its delivery history. */
  public void upsertConfigured(WebhooksConfig.ConfiguredEndpoint c) throws SQLException {
    try (Connection conn = store.getConnection(); PreparedStatement ps = conn.prepareStatement(
        "INSERT INTO webhook_endpoint (id, url, description, event_types, filter_seller_tax_id, filter_buyer_tax_id, filter_invoice_type, "
            + "tenant_tax_ids, secret, origin, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 'config', true, now(), now()) "
            + "ON CONFLICT (id) DO UPDATE SET url = excluded.url, event_types = excluded.event_types, "
            + "filter_seller_tax_id = excluded.filter_seller_tax_id, filter_buyer_tax_id = excluded.filter_buyer_tax_id, "
            + "filter_invoice_type = excluded.filter_invoice_type, "
            // a new secret in the configuration is a rotation: the old one keeps signing for a day
            + "previous_secret = CASE WHEN webhook_endpoint.secret <> excluded.secret THEN webhook_endpoint.secret ELSE webhook_endpoint.previous_secret END, "
            + "previous_secret_until = CASE WHEN webhook_endpoint.secret <> excluded.secret THEN now() + interval '1 day' "
            + "ELSE webhook_endpoint.previous_secret_until END, secret = excluded.secret, updated_at = now()")) {
      ps.setString(1, c.id());
      ps.setString(2, c.url());
      ps.setString(3, "configured: " + c.name());
      ps.setArray(4, conn.createArrayOf("text", eventTypes(c.events()).stream().map(EventType::wire).toArray()));
      ps.setString(5, c.seller());
      ps.setString(6, c.buyer());
      ps.setString(7, c.invoiceType());
      ps.setString(8, c.secret());
      ps.executeUpdate();
    }
  }

  private Endpoint insert(String id, Tenant owner, Spec spec, Set<EventType> types, String secret, String origin) throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO webhook_endpoint (id, url, description, event_types, filter_seller_tax_id, filter_buyer_tax_id, filter_invoice_type, "
            + "tenant_tax_ids, secret, origin, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, now(), now()) "
            + "RETURNING *")) {
      ps.setString(1, id);
      ps.setString(2, spec.pull() ? null : spec.url().trim());
      ps.setString(3, spec.description());
      ps.setArray(4, c.createArrayOf("text", types.stream().map(EventType::wire).toArray()));
      ps.setString(5, spec.sellerTaxId());
      ps.setString(6, spec.buyerTaxId());
      ps.setString(7, spec.invoiceType());
      ps.setArray(8, owner.all() ? null : c.createArrayOf("text", owner.taxIds().toArray()));
      ps.setString(9, secret);
      ps.setString(10, origin);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return endpoint(rs);
      }
    }
  }

  /** The endpoints {@code caller} may see, newest first. */
  public List<Endpoint> list(Tenant caller) throws SQLException {
    return select(caller, null, "ORDER BY created_at DESC, id");
  }

  /** The endpoint, if {@code caller} may see it. */
  public Optional<Endpoint> find(Tenant caller, String id) throws SQLException {
    return select(caller, id, "").stream().findFirst();
  }

  /** Every enabled endpoint (the fan-out's view; no tenant: each endpoint's own tenant filters what it gets). */
  public List<Endpoint> enabled() throws SQLException {
    return select(Tenant.ALL, null, "AND enabled ORDER BY id");
  }

  /** Every endpoint, enabled or not (the fan-out records messages for a disabled one as FAILED, so recover can send them later). */
  public List<Endpoint> all() throws SQLException {
    return select(Tenant.ALL, null, "ORDER BY id");
  }

  private List<Endpoint> select(Tenant caller, String id, String tail) throws SQLException {
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT * FROM webhook_endpoint WHERE "
        + (caller.all() ? "true" : "tenant_tax_ids IS NOT NULL AND tenant_tax_ids <@ ?") + (id == null ? "" : " AND id = ?") + " " + tail)) {
      int i = 1;
      if (!caller.all()) {
        ps.setArray(i++, c.createArrayOf("text", caller.taxIds().toArray()));
      }
      if (id != null) {
        ps.setString(i, id);
      }
      List<Endpoint> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(endpoint(rs));
        }
      }
      return out;
    }
  }

  /** Deletes the endpoint and its delivery history; false when {@code caller} has none of that id. */
  public boolean delete(Tenant caller, String id) throws SQLException {
    if (find(caller, id).isEmpty()) {
      return false;
    }
    // its messages go with it (ON DELETE CASCADE); their bodies too, unless another endpoint's message of the same event still
    // needs one. Under the retention lock held alone, as retention deletes bodies: an enqueue (which shares it) cannot meanwhile
    // give a body that is being deleted a new message.
    try (Connection c = store.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(" + Messages.RETENTION_LOCK + ")");
           PreparedStatement bodies = c.prepareStatement("DELETE FROM webhook_body b WHERE b.id IN (SELECT id FROM webhook_message WHERE "
               + "endpoint_id = ?) AND NOT EXISTS (SELECT 1 FROM webhook_message m WHERE m.endpoint_id IN (SELECT id FROM webhook_endpoint "
               + "WHERE id <> ?) AND m.id = b.id)");
           PreparedStatement ps = c.prepareStatement("DELETE FROM webhook_endpoint WHERE id = ?")) {
        lock.execute();
        bodies.setString(1, id);
        bodies.setString(2, id);
        bodies.executeUpdate();
        ps.setString(1, id);
        boolean deleted = ps.executeUpdate() == 1;
        c.commit();
        return deleted;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * A new secret of the same kind (a v1a endpoint gets a new Ed25519 key); the current one keeps signing (a second signature)
   * for {@code overlap}. The returned endpoint carries the new one.
   */
  public Optional<Endpoint> rotate(Tenant caller, String id, Duration overlap) throws SQLException {
    Optional<Endpoint> current = find(caller, id);
    if (current.isEmpty()) {
      return Optional.empty();
    }
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE webhook_endpoint SET previous_secret = secret, previous_secret_until = now() + ? * interval '1 millisecond', secret = ?, "
            + "updated_at = now() WHERE id = ? RETURNING *")) {
      ps.setLong(1, overlap.toMillis());
      ps.setString(2, Signatures.newSecretLike(current.get().secret()));
      ps.setString(3, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(endpoint(rs)) : Optional.empty();
      }
    }
  }

  /** Enables the endpoint again (after a 410 or a long failure), its failure clock reset; false when there is none. */
  public boolean enable(Tenant caller, String id) throws SQLException {
    if (find(caller, id).isEmpty()) {
      return false;
    }
    try (Connection c = store.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE webhook_endpoint SET enabled = true, disabled_reason = NULL, failing_since = NULL, updated_at = now() WHERE id = ?")) {
      ps.setString(1, id);
      return ps.executeUpdate() == 1;
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static Endpoint endpoint(ResultSet rs) throws SQLException {
    Set<EventType> types = EnumSet.noneOf(EventType.class);
    for (String t : strings(rs.getArray("event_types"))) {
      EventType.of(t).ifPresent(types::add); // a type a later version removed is ignored, not fatal
    }
    List<String> taxIds = strings(rs.getArray("tenant_tax_ids"));
    Tenant tenant = rs.getArray("tenant_tax_ids") == null ? Tenant.ALL : Tenant.of(new TreeSet<>(taxIds));
    return new Endpoint(rs.getString("id"), rs.getString("url"), rs.getString("description"), types, rs.getString("filter_seller_tax_id"),
        rs.getString("filter_buyer_tax_id"), rs.getString("filter_invoice_type"), tenant, rs.getString("secret"), rs.getString("previous_secret"),
        instant(rs, "previous_secret_until"), rs.getString("origin"), rs.getBoolean("enabled"), rs.getString("disabled_reason"),
        instant(rs, "failing_since"), instant(rs, "created_at"), instant(rs, "updated_at"));
  }

  private static List<String> strings(Array a) throws SQLException {
    if (a == null) {
      return List.of();
    }
    Object[] values = (Object[]) a.getArray();
    List<String> out = new ArrayList<>();
    for (Object v : values) {
      out.add((String) v);
    }
    return out;
  }

  static Instant instant(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static Timestamp timestamp(Instant i) {
    return i == null ? null : Timestamp.from(i);
  }
}
