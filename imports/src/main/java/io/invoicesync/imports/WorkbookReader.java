package io.invoicesync.imports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.parsers.ParserConfigurationException;
import org.apache.poi.openxml4j.exceptions.OpenXML4JException;
import org.apache.poi.openxml4j.opc.OPCPackage;
import org.apache.poi.openxml4j.opc.PackageAccess;
import org.apache.poi.ss.usermodel.DataFormatter;
import org.apache.poi.ss.util.CellReference;
import org.apache.poi.util.XMLHelper;
import org.apache.poi.xssf.eventusermodel.ReadOnlySharedStringsTable;
import org.apache.poi.xssf.eventusermodel.XSSFReader;
import org.apache.poi.xssf.eventusermodel.XSSFSheetXMLHandler;
import org.apache.poi.xssf.model.StylesTable;
import org.apache.poi.xssf.usermodel.XSSFComment;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;

/**
 * The platform's query export as an xlsx workbook, streamed with POI's event API (SAX over the sheet
 * XML, shared strings read-only): a 200,000-row export is never a tree in memory. Two passes: the
 * detail sheets' lines first, then the summary sheets' invoices with them.
 */
final class WorkbookReader {

  private WorkbookReader() {
  }

  /** Thrown inside the SAX handler to leave a sheet that is not wanted on this pass. */
  private static final class Stop extends RuntimeException {
    Stop() {
      super(null, null, false, false);
    }
  }

  static FileReaders.Summary read(Path path, String sha256, ImportSink sink) {
    String file = path.getFileName().toString();
    ExportTable.Lines lines = new ExportTable.Lines();
    Map<String, SheetReader> first = new LinkedHashMap<>();
    try (OPCPackage pkg = OPCPackage.open(path.toFile(), PackageAccess.READ)) {
      pass(pkg, (sheet, in, strings, styles) -> {
        SheetReader r = new SheetReader(file, sha256, sheet, lines, sink, false);
        first.put(sheet, r);
        parse(in, strings, styles, r);
      });
      List<String> summaries = first.entrySet().stream().filter(e -> e.getValue().kind() == SheetReader.Kind.SUMMARY
          || e.getValue().kind() == SheetReader.Kind.COMBINED).map(Map.Entry::getKey)
          .toList();
      if (summaries.isEmpty()) {
        List<String> why = new ArrayList<>();
        first.forEach((sheet, r) -> why.add("sheet " + sheet + ": " + (r.kind() == SheetReader.Kind.DETAIL
            ? "lines only (a detail sheet), and no summary sheet names their invoices" : r.refusal())));
        throw new ImportFormatException(file + ": no sheet is the platform's invoice summary; " + String.join("; ", why));
      }
      List<SheetReader> second = new ArrayList<>();
      pass(pkg, (sheet, in, strings, styles) -> {
        if (summaries.contains(sheet)) {
          SheetReader r = new SheetReader(file, sha256, sheet, lines, sink, true);
          second.add(r);
          parse(in, strings, styles, r);
          r.finish(); // a combined sheet's last invoice
        }
      });
      int rows = second.stream().mapToInt(r -> r.rows).sum() + first.values().stream().filter(r -> r.kind() == SheetReader.Kind.DETAIL)
          .mapToInt(r -> r.rows).sum();
      int problems = second.stream().mapToInt(r -> r.problems).sum() + first.values().stream().mapToInt(r -> r.problems).sum();
      for (Map.Entry<String, List<io.invoicesync.schemas.InvoiceLine>> orphan : lines.byInvoice.entrySet()) {
        problems++;
        sink.problem(new ImportProblem(file, null, null, null, orphan.getValue().size() + " line(s) of invoice " + orphan.getKey()
            + " in the detail sheet, but no summary row for it"));
      }
      return new FileReaders.Summary(file, sha256, "xlsx", rows, second.stream().mapToInt(r -> r.invoices).sum(), lines.count, problems);
    } catch (IOException | OpenXML4JException | SAXException | ParserConfigurationException e) {
      throw new ImportFormatException(file + ": not a readable xlsx workbook (" + e.getMessage() + ")", e);
    } catch (org.apache.poi.ooxml.POIXMLException | org.apache.poi.openxml4j.exceptions.InvalidOperationException e) {
      throw new ImportFormatException(file + ": not a readable xlsx workbook (" + e.getMessage() + ")", e);
    }
  }

  private interface SheetConsumer {
    void accept(String sheet, InputStream in, ReadOnlySharedStringsTable strings, StylesTable styles)
        throws IOException, SAXException, ParserConfigurationException;
  }

  private static void pass(OPCPackage pkg, SheetConsumer each) throws IOException, OpenXML4JException, SAXException,
      ParserConfigurationException {
    XSSFReader reader = new XSSFReader(pkg);
    ReadOnlySharedStringsTable strings = new ReadOnlySharedStringsTable(pkg);
    StylesTable styles = reader.getStylesTable();
    XSSFReader.SheetIterator it = (XSSFReader.SheetIterator) reader.getSheetsData();
    while (it.hasNext()) {
      try (InputStream in = it.next()) {
        each.accept(it.getSheetName(), in, strings, styles);
      }
    }
  }

  private static void parse(InputStream in, ReadOnlySharedStringsTable strings, StylesTable styles, SheetReader rows)
      throws IOException, SAXException, ParserConfigurationException {
    DataFormatter formatter = new DataFormatter(Locale.ROOT);
    // date cells in Excel's built-in formats read as ISO dates, not as the US "m/d/yy" those formats stand for
    formatter.addFormat("m/d/yy", new java.text.SimpleDateFormat("yyyy-MM-dd", Locale.ROOT));
    formatter.addFormat("m/d/yy h:mm", new java.text.SimpleDateFormat("yyyy-MM-dd HH:mm:ss", Locale.ROOT));
    formatter.addFormat("yyyy/m/d", new java.text.SimpleDateFormat("yyyy-MM-dd", Locale.ROOT));
    XMLReader xml = XMLHelper.newXMLReader();
    xml.setContentHandler(new XSSFSheetXMLHandler(styles, null, strings, new XSSFSheetXMLHandler.SheetContentsHandler() {
      private List<String> cells = new ArrayList<>();

      @Override
      public void startRow(int rowNum) {
        cells = new ArrayList<>();
      }

      @Override
      public void endRow(int rowNum) {
        if (!rows.row(rowNum + 1, cells)) {
          throw new Stop();
        }
      }

      @Override
      public void cell(String ref, String value, XSSFComment comment) {
        int col = ref == null ? cells.size() : new CellReference(ref).getCol();
        while (cells.size() < col) {
          cells.add(null);
        }
        cells.add(value);
      }
    }, formatter, false));
    try {
      xml.parse(new InputSource(in));
    } catch (Stop stop) {
      // the rest of this sheet is not wanted on this pass
    }
  }
}
