package io.invoicesync.imports;

/** A file the import cannot read at all (an unknown layout, not XML, not a workbook), naming the file and why. */
public final class ImportFormatException extends RuntimeException {

  public ImportFormatException(String message) {
    super(message);
  }

  public ImportFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
