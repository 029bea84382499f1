package io.invoicesync.webhooks.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.invoicesync.outcomes.view.InvoiceRows;
import io.invoicesync.outcomes.view.InvoiceView;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.Violation;
import io.invoicesync.webhooks.Endpoint;
import io.invoicesync.webhooks.EventType;
import io.invoicesync.webhooks.Messages;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns what the pipeline decided into the messages each endpoint is owed (a pure step but for the
 * store reads it is handed): a PROJECTED report into {@code invoice.visible} with the invoice as the
 * API shows it, read from the store in one query per batch (a report whose version the store has
 * already replaced is superseded: the newer version's own report follows); a DEAD_LETTERED report
 * into {@code invoice.dead_lettered}; a rejection into {@code invoice.rejected} with every violation.
 * Message ids are derived from what the message is about, so reading the same records again (after
 * a crash before the offsets' commit) enqueues nothing twice.
 */
public final class FanOut {

  /** The JSON of message bodies: decimals as written, instants ISO. */
  public static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  /** One input event, decoded. */
  public sealed interface Input permits Projected, Rejected {
  }

  public record Projected(ProjectionEvent event) implements Input {
  }

  public record Rejected(InvoiceRejected rejection) implements Input {
  }

  /** What one batch made: the messages, and how many reports were superseded or about invoices the store does not hold. */
  public record Batch(List<Messages.New> messages, int superseded) {
  }

  private FanOut() {
  }

  /** The messages {@code inputs} make for {@code endpoints}, in input order; reads the invoices of visible reports on {@code c}. */
  public static Batch messages(Connection c, List<Input> inputs, List<Endpoint> endpoints) throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    for (Input in : inputs) {
      if (in instanceof Projected p) {
        ids.add(p.event().getInvoiceId());
      }
    }
    Map<String, InvoiceView> views = ids.isEmpty() ? Map.of() : InvoiceRows.withLines(c, ids);
    List<Messages.New> out = new ArrayList<>();
    int superseded = 0;
    for (Input in : inputs) {
      Event e = in instanceof Projected p ? projected(p.event(), views.get(p.event().getInvoiceId())) : rejected(((Rejected) in).rejection());
      if (e == null) {
        if (in instanceof Projected p && AuditEvent.PROJECTED.name().equals(p.event().getEvent())) {
          superseded++;
        }
        continue;
      }
      String body = null;
      for (Endpoint ep : endpoints) {
        if (ep.wants(e.type(), e.seller(), e.buyer(), e.invoiceType())) {
          body = body != null ? body : body(e);
          out.add(new Messages.New(e.id(), ep.id(), e.type(), e.invoiceId(), e.invoiceId(), e.version(), body, e.at(), ep.pull()
              ? Messages.Initial.FEED : ep.enabled() ? Messages.Initial.PENDING : Messages.Initial.FAILED));
        }
      }
    }
    return new Batch(out, superseded);
  }

  /** An event before it is matched with endpoints. */
  record Event(String id, EventType type, String invoiceId, Integer version, String seller, String buyer, String invoiceType, Instant at,
               Object data) {
  }

  private static Event projected(ProjectionEvent p, InvoiceView view) {
    String id = p.getInvoiceId();
    if (AuditEvent.PROJECTED.name().equals(p.getEvent())) {
      if (view == null || p.getVersion() == null || view.sync().version() != p.getVersion()) {
        return null; // superseded by a newer version (whose own report follows), or not held
      }
      return new Event(messageId(EventType.INVOICE_VISIBLE, id, p.getVersion().toString()), EventType.INVOICE_VISIBLE, id, p.getVersion(),
          view.seller().taxId(), view.buyer().taxId(), view.invoiceType(), p.getDecidedAt(), Map.of("invoice", view));
    }
    if (AuditEvent.DEAD_LETTERED.name().equals(p.getEvent())) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("invoiceId", id);
      data.put("invoiceCode", p.getInvoiceCode());
      data.put("invoiceNumber", p.getInvoiceNumber());
      data.put("version", p.getVersion());
      data.put("attempt", p.getAttempt());
      data.put("detail", p.getDetail());
      data.put("deadLetteredAt", p.getDecidedAt().toString());
      data.put("trace", "/api/v1/invoices/" + id + "/trace");
      String buyer = view == null ? null : view.buyer().taxId(); // the last visible version's, when there is one
      return new Event(messageId(EventType.INVOICE_DEAD_LETTERED, id, p.getVersion() + "|" + p.getAttempt() + "|" + p.getDecidedAt().toEpochMilli()),
          EventType.INVOICE_DEAD_LETTERED, id, p.getVersion(), p.getSellerTaxId(), buyer, view == null ? null : view.invoiceType(),
          p.getDecidedAt(), data);
    }
    return null;
  }

  private static Event rejected(InvoiceRejected r) {
    Invoice inv = r.getInvoice();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("invoiceId", r.getInvoiceId());
    data.put("invoiceCode", inv == null ? null : inv.getInvoiceCode());
    data.put("invoiceNumber", inv == null ? null : inv.getInvoiceNumber());
    data.put("invoiceType", inv == null ? null : inv.getInvoiceType());
    data.put("seller", inv == null || inv.getSeller() == null ? null : party(inv.getSeller().getName(), inv.getSeller().getTaxId()));
    data.put("buyer", inv == null || inv.getBuyer() == null ? null : party(inv.getBuyer().getName(), inv.getBuyer().getTaxId()));
    data.put("grandTotal", inv == null ? null : inv.getGrandTotal());
    data.put("rejectedAt", r.getRejectedAt().toString());
    List<Map<String, Object>> violations = new ArrayList<>();
    for (Violation v : r.getViolations()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("code", v.getCode());
      m.put("field", v.getField());
      m.put("value", v.getValue());
      m.put("expected", v.getExpected());
      m.put("message", v.getMessage());
      violations.add(m);
    }
    data.put("violations", violations);
    data.put("trace", "/api/v1/invoices/" + r.getInvoiceId() + "/trace");
    String seller = inv == null || inv.getSeller() == null ? null : inv.getSeller().getTaxId();
    String buyer = inv == null || inv.getBuyer() == null ? null : inv.getBuyer().getTaxId();
    String position = r.getSource() == null ? "" : r.getSource().getName() + "|" + r.getSource().getLsn();
    return new Event(messageId(EventType.INVOICE_REJECTED, r.getInvoiceId(), position + "|" + r.getRejectedAt().toEpochMilli()),
        EventType.INVOICE_REJECTED, r.getInvoiceId(), null, seller, buyer, inv == null ? null : inv.getInvoiceType(), r.getRejectedAt(), data);
  }

  private static Map<String, String> party(String name, String taxId) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("taxId", taxId);
    return m;
  }

  /** The Standard Webhooks envelope: {@code type}, {@code timestamp}, {@code data}. */
  static String body(Event e) {
    Map<String, Object> envelope = new LinkedHashMap<>();
    envelope.put("type", e.type().wire());
    envelope.put("timestamp", e.at().toString());
    envelope.put("data", e.data());
    try {
      return JSON.writeValueAsString(envelope);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("a webhook body did not serialize", ex);
    }
  }

  /** {@code msg_} and 32 hex digits of the SHA-256 of what the message is about: the same event, the same id. */
  public static String messageId(EventType type, String invoiceId, String about) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest((type.wire() + "|" + invoiceId + "|" + about).getBytes(StandardCharsets.UTF_8));
      return "msg_" + HexFormat.of().formatHex(h, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
