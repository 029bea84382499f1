package io.invoicesync.streams.rules;

import io.invoicesync.schemas.Party;
import io.invoicesync.schemas.TaxIds;

/**
 * {@code SELLER_TAX_ID_CHECKSUM} / {@code SELLER_TAX_ID_FORMAT} and the same for the buyer: an
 * 18-character id must pass the USCC or the resident-id check; 15- and 20-character ids are checked
 * for format; other lengths are wrong.
 */
public final class TaxIdRule implements InvoiceRule {

  @Override
  public void check(ValidationContext ctx) {
    check(ctx, "seller", ctx.invoice().getSeller());
    check(ctx, "buyer", ctx.invoice().getBuyer());
  }

  private static void check(ValidationContext ctx, String who, Party party) {
    if (party == null) {
      return;
    }
    String id = party.getTaxId();
    String problem = TaxIds.problem(id);
    if (problem == null) {
      return;
    }
    String code = who.toUpperCase() + "_TAX_ID_" + problem;
    String expected = problem.equals("CHECKSUM")
        ? "check character " + (TaxIds.isUsccFormat(id) ? TaxIds.usccCheckChar(id.substring(0, 17)) : "per GB 11643")
        : "USCC (18), resident id (18), 15 or 20 characters";
    ctx.report(code, who + ".taxId", id, expected,
        problem.equals("CHECKSUM") ? who + " taxpayer id fails its check character" : who + " taxpayer id has an invalid format");
  }
}
