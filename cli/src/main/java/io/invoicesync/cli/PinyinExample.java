package io.invoicesync.cli;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/** {@link io.invoicesync.ingest.mapping.PinyinExample} on an embedded PostgreSQL's issuing database (the demo and the tests). */
public final class PinyinExample {

  /** The pinyin tables in the issuing database, and the mapping file in {@code dir}; returns the file. */
  public static Path install(EmbeddedPostgresServer pg, Path dir) throws SQLException, IOException {
    try (Connection c = pg.connect("issuing")) {
      return io.invoicesync.ingest.mapping.PinyinExample.install(c, dir);
    }
  }

  private PinyinExample() {
  }
}
