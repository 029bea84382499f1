package io.invoicesync.outcomes.view;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.util.List;

/**
 * An invoice as the API shows it ({@code GET /api/v1/invoices/{id}}, and each item of a search) and
 * as {@code invoice-sync validate} reads it: the header with nested parties, the red-letter link (null
 * for a blue invoice), the sync metadata, and either its {@code lines} (a lookup) or its
 * {@code lineCount} (a search item); the one not given is left out of the JSON. Dates and the local
 * issue time are ISO strings ({@code 2026-11-24}, {@code 2026-11-24T10:00}), instants ISO UTC.
 * Unknown properties are ignored on reading, so a client keeps reading what a later server adds.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InvoiceView(String id, String invoiceCode, String invoiceNumber, String invoiceType, String issueDate, String issuedAt,
                          Party seller, Party buyer, BigDecimal totalAmount, BigDecimal totalTax, BigDecimal grandTotal, String status,
                          String riskFlag, RedLetter redLetter, String remarks, Sync sync,
                          @JsonInclude(JsonInclude.Include.NON_NULL) List<Line> lines,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Integer lineCount) {

  /** Seller or buyer. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Party(String name, String taxId, String addressPhone, String bankAccount) {
  }

  /** What a red-letter invoice reverses, and why ({@code reason}: the tax authority's code). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record RedLetter(String blueInvoiceId, String blueInvoiceCode, String blueInvoiceNumber, String blueIssueDate, String confirmationNo,
                          Integer reason) {
  }

  /** Which synced state this is, and when it was committed at the source, synced and projected. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Sync(int version, String digest, long sourceLsn, Long sourceTxId, String sourceCommitTs, String syncedAt,
                     String projectedAt) {
  }

  /** One line; quantity, unit price and tax rate without trailing zeros, amounts with their scale. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Line(int lineNo, String itemName, String specification, String unit, BigDecimal quantity, BigDecimal unitPrice,
                     BigDecimal amount, BigDecimal taxRate, boolean taxExempt, BigDecimal taxAmount, String taxCode, String lineKind) {
  }

  /** This invoice with its lines (a lookup). */
  public InvoiceView withLines(List<Line> lines) {
    return new InvoiceView(id, invoiceCode, invoiceNumber, invoiceType, issueDate, issuedAt, seller, buyer, totalAmount, totalTax, grandTotal,
        status, riskFlag, redLetter, remarks, sync, List.copyOf(lines), null);
  }

  /** This invoice with the number of its lines (a search item). */
  public InvoiceView withLineCount(int lineCount) {
    return new InvoiceView(id, invoiceCode, invoiceNumber, invoiceType, issueDate, issuedAt, seller, buyer, totalAmount, totalTax, grandTotal,
        status, riskFlag, redLetter, remarks, sync, null, lineCount);
  }
}
