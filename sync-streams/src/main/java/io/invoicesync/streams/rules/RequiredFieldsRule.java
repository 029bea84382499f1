package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceLine;
import java.util.List;
import java.util.Set;

/**
 * {@code REQUIRED_FIELD_MISSING}: the fields every invoice carries, per type the issue date-time
 * (数电票) and the buyer's taxpayer id (special 专票 invoices), and at least one line;
 * {@code INVOICE_TYPE_UNKNOWN} for a type outside DOMAIN.md's list; {@code LINE_KIND_UNKNOWN}.
 */
public final class RequiredFieldsRule implements InvoiceRule {

  public static final String REQUIRED = "REQUIRED_FIELD_MISSING";
  public static final String TYPE_UNKNOWN = "INVOICE_TYPE_UNKNOWN";
  public static final String LINE_KIND_UNKNOWN = "LINE_KIND_UNKNOWN";
  private static final Set<String> LINE_KINDS = Set.of("NORMAL", "DISCOUNT", "DISCOUNTED");

  @Override
  public void check(ValidationContext ctx) {
    Invoice inv = ctx.invoice();
    require(ctx, "invoiceNumber", inv.getInvoiceNumber());
    require(ctx, "invoiceType", inv.getInvoiceType());
    if (inv.getInvoiceType() != null && !InvoiceTypes.ALL.contains(inv.getInvoiceType())) {
      ctx.report(TYPE_UNKNOWN, "invoiceType", inv.getInvoiceType(), "one of " + InvoiceTypes.ALL, "invoice type is not a known VAT invoice type");
    }
    require(ctx, "issueDate", inv.getIssueDate());
    if (InvoiceTypes.isDigital(inv.getInvoiceType())) {
      require(ctx, "issuedAt", inv.getIssuedAt()); // 数电票 carry the issue date-time
    }
    require(ctx, "seller.name", inv.getSeller() == null ? null : inv.getSeller().getName());
    require(ctx, "seller.taxId", inv.getSeller() == null ? null : inv.getSeller().getTaxId());
    require(ctx, "buyer.name", inv.getBuyer() == null ? null : inv.getBuyer().getName());
    if (InvoiceTypes.isSpecial(inv.getInvoiceType())) {
      require(ctx, "buyer.taxId", inv.getBuyer() == null ? null : inv.getBuyer().getTaxId());
    }
    require(ctx, "totalAmount", inv.getTotalAmount());
    require(ctx, "totalTax", inv.getTotalTax());
    require(ctx, "grandTotal", inv.getGrandTotal());
    List<InvoiceLine> lines = inv.getLines();
    if (lines == null || lines.isEmpty()) {
      ctx.report(REQUIRED, "lines", null, "at least one line", "an invoice must have at least one line");
      return;
    }
    for (int i = 0; i < lines.size(); i++) {
      InvoiceLine l = lines.get(i);
      require(ctx, "lines[" + i + "].itemName", l.getItemName());
      require(ctx, "lines[" + i + "].amount", l.getAmount());
      if (l.getLineKind() == null || !LINE_KINDS.contains(l.getLineKind())) {
        ctx.report(LINE_KIND_UNKNOWN, "lines[" + i + "].lineKind", l.getLineKind(), "one of " + LINE_KINDS, "unknown line kind");
      }
      if (!l.getTaxExempt()) {
        require(ctx, "lines[" + i + "].taxRate", l.getTaxRate());
        require(ctx, "lines[" + i + "].taxAmount", l.getTaxAmount());
      }
    }
  }

  private static void require(ValidationContext ctx, String field, Object value) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      ctx.report(REQUIRED, field, value, "a value", field + " is required");
    }
  }
}
