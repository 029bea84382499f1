package io.invoicesync.imports;

/**
 * A part of a file that could not be read as an invoice: the file, the sheet and row or XML path, and
 * why. The rest of the file is imported.
 */
public record ImportProblem(String file, String sheet, Integer row, String path, String reason) {

  /** As reports show it (the CLI's json, the API): file, and sheet, row and path where known, and the reason. */
  public java.util.Map<String, Object> toJson() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("file", file);
    if (sheet != null) {
      m.put("sheet", sheet);
    }
    if (row != null) {
      m.put("row", row);
    }
    if (path != null) {
      m.put("path", path);
    }
    m.put("reason", reason);
    return m;
  }

  /** "全量发票查询导出_202611.xlsx, sheet 信息汇总表, row 1,284: reason". */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(file);
    if (sheet != null) {
      s.append(", sheet ").append(sheet);
    }
    if (row != null) {
      s.append(", row ").append(String.format("%,d", row));
    }
    if (path != null) {
      s.append(", ").append(path);
    }
    return s.append(": ").append(reason).toString();
  }
}
