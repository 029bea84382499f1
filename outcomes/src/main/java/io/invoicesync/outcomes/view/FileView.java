package io.invoicesync.outcomes.view;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.FilePosition;

/**
 * Where an imported invoice was read (the tax platform's file, its SHA-256, sheet and row or XML path),
 * as the trace and the audit trail show it and as {@code invoice_event.source_file} keeps it (JSON).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FileView(String file, String sha256, String sheet, Integer row, String path) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The view of a position's file; null for a change captured from an issuing database. */
  public static FileView of(FilePosition f) {
    return f == null ? null : new FileView(f.getFile(), f.getSha256(), f.getSheet(), f.getRow(), f.getPath());
  }

  /** The JSON the outcome tables keep; null for no file. */
  public static String json(FilePosition f) {
    FileView v = of(f);
    try {
      return v == null ? null : JSON.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** From the outcome tables' JSON; null stays null. */
  public static FileView parse(String json) {
    try {
      return json == null ? null : JSON.readValue(json, FileView.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("invoice_event.source_file is not the JSON the recorder writes: " + e.getOriginalMessage(), e);
    }
  }

  /** Back to the position's record, as the chain's hash covered it. */
  public FilePosition position() {
    return FilePosition.newBuilder().setFile(file).setSha256(sha256).setSheet(sheet).setRow(row).setPath(path).build();
  }

  /** "全量发票查询导出_202611.xlsx, sheet 信息汇总表, row 1,284" (or the XML path). */
  public String describe() {
    return file + (sheet == null ? "" : ", sheet " + sheet) + (row == null ? "" : String.format(", row %,d", row))
        + (path == null ? "" : ", " + path);
  }
}
