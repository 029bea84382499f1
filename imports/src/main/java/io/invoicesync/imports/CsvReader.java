package io.invoicesync.imports;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The export's summary as CSV: UTF-8 (with or without a byte-order mark) or GBK, as Excel in China
 * saves it; one invoice per row, without lines (they stand as the pipeline knows them).
 */
final class CsvReader {

  private CsvReader() {
  }

  static FileReaders.Summary read(Path path, String sha256, ImportSink sink) {
    String file = path.getFileName().toString();
    Charset charset = charset(path);
    SheetReader rows = new SheetReader(file, sha256, null, new ExportTable.Lines(), sink, true);
    try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(path), charset));
         CSVParser csv = CSVParser.builder().setReader(in).setFormat(CSVFormat.DEFAULT.builder().setTrim(false).get()).get()) {
      for (CSVRecord r : csv) {
        List<String> cells = new ArrayList<>(r.size());
        r.forEach(cells::add);
        if (r.getRecordNumber() == 1 && !cells.isEmpty() && cells.get(0) != null && cells.get(0).startsWith("\ufeff")) {
          cells.set(0, cells.get(0).substring(1));
        }
        rows.row((int) r.getRecordNumber(), cells);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new ImportFormatException(file + ": not a readable CSV file (" + e.getMessage() + ")", e);
    }
    rows.finish();
    if (rows.kind() == SheetReader.Kind.DETAIL) {
      throw new ImportFormatException(file + ": a CSV of invoice lines without their invoices' columns (开票日期, 销方识别号); import "
          + "the summary as CSV, the detail export with the invoices' columns, or the workbook");
    }
    if (rows.kind() != SheetReader.Kind.SUMMARY && rows.kind() != SheetReader.Kind.COMBINED) {
      throw new ImportFormatException(file + ": " + rows.refusal());
    }
    return new FileReaders.Summary(file, sha256, "csv", rows.rows, rows.invoices, rows.kind() == SheetReader.Kind.COMBINED ? rows.rows : 0,
        rows.problems);
  }

  /** UTF-8 when the bytes decode as UTF-8, else GBK (Excel's CSV on a Chinese Windows). */
  static Charset charset(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] head = in.readNBytes(64 * 1024);
      // not the end of input: a character cut at the 64 KiB boundary is not an error
      java.nio.charset.CoderResult r = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(head),
          java.nio.CharBuffer.allocate(head.length), false);
      return r.isError() ? Charset.forName("GBK") : StandardCharsets.UTF_8;
    } catch (IOException e) {
      throw new ImportFormatException(path.getFileName() + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }
}
