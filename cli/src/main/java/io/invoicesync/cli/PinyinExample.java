package io.invoicesync.cli;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/**
 * The second reference: a tax-control system's tables ({@code skj.fp_kj}, {@code skj.fp_mx}, ingest's
 * {@code mapping/examples/pinyin.sql}) and their mapping ({@code pinyin.yaml}), as {@code demo --mapping
 * pinyin} and the tests set them up on an embedded PostgreSQL.
 */
public final class PinyinExample {

  private static final String EXAMPLES = "/io/invoicesync/ingest/mapping/examples/";

  /**
   * Creates the tables in the issuing database unless they exist (REPLICA IDENTITY FULL: they have no
   * primary key, so updates must carry the whole row) and writes the mapping file into {@code dir}.
   *
   * @return the mapping file, for {@code ingest.mapping.file}
   */
  public static Path install(EmbeddedPostgresServer pg, Path dir) throws SQLException, IOException {
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      boolean exists;
      try (ResultSet rs = s.executeQuery("SELECT to_regclass('skj.fp_kj') IS NOT NULL")) {
        rs.next();
        exists = rs.getBoolean(1);
      }
      if (!exists) {
        s.execute(resource("pinyin.sql"));
        s.execute("ALTER TABLE skj.fp_kj REPLICA IDENTITY FULL");
        s.execute("ALTER TABLE skj.fp_mx REPLICA IDENTITY FULL");
      }
    }
    Path mapping = dir.resolve("pinyin.yaml");
    Files.createDirectories(dir);
    Files.writeString(mapping, resource("pinyin.yaml"));
    return mapping;
  }

  static String resource(String name) {
    try (InputStream in = Objects.requireNonNull(PinyinExample.class.getResourceAsStream(EXAMPLES + name), name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PinyinExample() {
  }
}
