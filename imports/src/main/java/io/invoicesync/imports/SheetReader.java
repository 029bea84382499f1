package io.invoicesync.imports;

import io.invoicesync.schemas.FilePosition;
import java.util.List;

/**
 * One sheet (or CSV file) of the platform's export, row by row: finds the header row, then reads each
 * row as a line (detail sheet) or an invoice (summary sheet). A row that cannot be read becomes a
 * problem naming its row and why; the rest is read.
 */
final class SheetReader {

  enum Kind { UNDECIDED, SUMMARY, DETAIL, COMBINED, OTHER }

  private final String file;
  private final String sha256;
  private final String sheet;
  private final ExportTable.Lines lines;
  private final ImportSink sink;
  private final boolean summaryWanted;
  private ExportColumn.Header header;
  private ExportColumn.Header best;
  private Kind kind = Kind.UNDECIDED;
  int rows;
  int invoices;
  int problems;

  /**
   * @param summaryWanted false on the first pass over a workbook (detail sheets only: a summary sheet is
   *                      recognised and left for the second pass)
   */
  SheetReader(String file, String sha256, String sheet, ExportTable.Lines lines, ImportSink sink, boolean summaryWanted) {
    this.file = file;
    this.sha256 = sha256;
    this.sheet = sheet;
    this.lines = lines;
    this.sink = sink;
    this.summaryWanted = summaryWanted;
  }

  Kind kind() {
    return kind;
  }

  /** Why the sheet was not read, when it was neither layout. */
  String refusal() {
    return (best == null ? ExportColumn.Header.of(List.of()) : best).refusal();
  }

  /** Row {@code rowNumber} (1-based) with its cells; false when the rest of the sheet is not wanted. */
  boolean row(int rowNumber, List<String> cells) {
    if (kind == Kind.UNDECIDED) {
      ExportColumn.Header h = ExportColumn.Header.of(cells);
      if (best == null || h.at().size() > best.at().size()) {
        best = h;
      }
      if (h.plausible() && (h.isDetail() || h.isSummary())) {
        header = h;
        kind = h.isCombined() ? Kind.COMBINED : h.isDetail() ? Kind.DETAIL : Kind.SUMMARY;
        return kind == Kind.DETAIL || summaryWanted;
      }
      if (rowNumber >= ExportTable.HEADER_SEARCH_ROWS) {
        kind = Kind.OTHER;
        return false;
      }
      return true;
    }
    if (cells.stream().allMatch(c -> c == null || c.isBlank())) {
      return true;
    }
    rows++;
    try {
      if (kind == Kind.COMBINED) {
        combined(rowNumber, cells);
      } else if (kind == Kind.DETAIL) {
        ExportTable.line(header, cells, lines);
      } else {
        FilePosition where = FilePosition.newBuilder().setFile(file).setSha256(sha256).setSheet(sheet).setRow(rowNumber).build();
        sink.invoice(ExportTable.invoice(header, cells, lines, where));
        invoices++;
      }
    } catch (IllegalArgumentException e) {
      problems++;
      sink.problem(new ImportProblem(file, sheet, rowNumber, null, e.getMessage()));
    }
    return true;
  }

  private List<String> pendingRow;
  private int pendingRowNumber;
  private String pendingId;

  /** A line with its invoice's columns repeated: the invoice is sent when the next row is another's, or at the end. */
  private void combined(int rowNumber, List<String> cells) {
    String[] idn = ExportTable.identity(header, cells);
    String id = ImportedInvoice.nationalId(idn[0], idn[1]);
    if (!id.equals(pendingId)) {
      finish();
      pendingId = id;
      pendingRow = cells;
      pendingRowNumber = rowNumber;
    }
    ExportTable.line(header, cells, lines);
  }

  /** Sends the last invoice of a combined sheet (its lines are all read). */
  void finish() {
    if (pendingId == null) {
      return;
    }
    String id = pendingId;
    pendingId = null;
    try {
      FilePosition where = FilePosition.newBuilder().setFile(file).setSha256(sha256).setSheet(sheet).setRow(pendingRowNumber).build();
      sink.invoice(ExportTable.summed(ExportTable.invoice(header, pendingRow, lines, where)));
      invoices++;
    } catch (IllegalArgumentException e) {
      problems++;
      lines.byInvoice.remove(id);
      sink.problem(new ImportProblem(file, sheet, pendingRowNumber, null, e.getMessage()));
    }
  }
}
