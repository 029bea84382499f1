package io.invoicesync.ingest.mapping;

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
 * The second reference: a tax-control system's tables ({@code skj.fp_kj}, {@code skj.fp_mx},
 * {@code examples/pinyin.sql}) and their mapping ({@code examples/pinyin.yaml}), as {@code demo
 * --mapping pinyin}, the chaos suite's two-source setup and the tests set them up.
 */
public final class PinyinExample {

  private static final String EXAMPLES = "/io/invoicesync/ingest/mapping/examples/";

  /**
   * Creates the tables in the issuing database {@code c} is connected to unless they exist
   * (REPLICA IDENTITY FULL: they have no primary key, so updates must carry the whole row) and
   * writes the mapping file into {@code dir}.
   *
   * @return the mapping file, for {@code ingest.mapping.file}
   */
  public static Path install(Connection c, Path dir) throws SQLException, IOException {
    try (Statement s = c.createStatement()) {
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
    Files.createDirectories(dir);
    return Files.writeString(dir.resolve("pinyin.yaml"), resource("pinyin.yaml"));
  }

  /** An example file's text: {@code pinyin.sql}, {@code pinyin.yaml}. */
  public static String resource(String name) {
    try (InputStream in = Objects.requireNonNull(PinyinExample.class.getResourceAsStream(EXAMPLES + name), name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PinyinExample() {
  }
}
