package io.invoicesync.api.internal;

import java.util.List;
import java.util.Map;

/** A client error reported as RFC 9457 problem details; {@code invalidParams} say which parameter is wrong and why. */
public final class ProblemException extends RuntimeException {

  private final int status;
  private final String title;
  private final List<Map<String, String>> invalidParams;

  public ProblemException(int status, String title, String detail, List<Map<String, String>> invalidParams) {
    super(detail);
    this.status = status;
    this.title = title;
    this.invalidParams = invalidParams;
  }

  public static ProblemException badParameter(String name, String value, String reason) {
    return new ProblemException(400, "Invalid request parameter", "parameter '" + name + "' " + reason,
        List.of(Map.of("name", name, "value", String.valueOf(value), "reason", reason)));
  }

  /**
   * One answer for an invoice that is not there and for one of another taxpayer (no existence leak):
   * the same status, title and detail, whichever endpoint asked.
   */
  public static ProblemException invoiceNotFound(String id) {
    return new ProblemException(404, "Invoice not found", "no invoice with id '" + id + "' is visible to you in the query store; "
        + "its trace may say why: /api/v1/invoices/" + id + "/trace", List.of());
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public List<Map<String, String>> invalidParams() {
    return invalidParams;
  }
}
