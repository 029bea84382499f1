package io.invoicesync.imports;

/** Where a reader sends what it read, invoice by invoice, so a 200,000-row workbook is never held whole. */
public interface ImportSink {

  void invoice(ImportedInvoice invoice);

  void problem(ImportProblem problem);
}
