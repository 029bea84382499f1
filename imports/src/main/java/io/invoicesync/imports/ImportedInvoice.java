package io.invoicesync.imports;

import io.invoicesync.schemas.FilePosition;
import io.invoicesync.schemas.Invoice;

/**
 * An invoice read from one of the tax platform's files, with where it was read. {@code linesIncluded}
 * is false when the file has no lines for it (a summary sheet without its detail sheet): the lines the
 * pipeline already knows stand, as for a status change captured from an issuing database.
 */
public record ImportedInvoice(Invoice invoice, boolean linesIncluded, FilePosition where) {

  /** 数电票: the 20-digit number alone; an older invoice: code-number. The national identity, as the import keys it. */
  public static String nationalId(String code, String number) {
    return code == null || code.isBlank() ? number : code + "-" + number;
  }
}
