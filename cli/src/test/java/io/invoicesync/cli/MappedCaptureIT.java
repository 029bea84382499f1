package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline capturing a tax-control system's own tables through a mapping file: no primary key,
 * a composite identity (fpdm + fphm), text dates, an amount as text and one in fen, codes, a percent
 * rate, no foreign key. An invoice there before the start arrives by the snapshot with its lines
 * (found by the composite join); one issued later is streamed; one a fen off is rejected with the
 * rule's code; a void of an electronic invoice (zfbz 0 -> 1), a header-only update, is captured and
 * rejected on its merits.
 */
class MappedCaptureIT {

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Map<String, String> cfg;
  static String day;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    day = LocalDate.now(ZoneId.of("Asia/Shanghai")).format(DateTimeFormatter.BASIC_ISO_DATE);
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement();
         InputStream sql = MappedCaptureIT.class.getResourceAsStream("/mapping/pinyin.sql")) {
      s.execute(new String(sql.readAllBytes(), StandardCharsets.UTF_8));
      s.execute("ALTER TABLE skj.fp_kj REPLICA IDENTITY FULL"); // no primary key: updates carry the whole row
      s.execute("ALTER TABLE skj.fp_mx REPLICA IDENTITY FULL");
    }
    for (int n = 201; n <= 203; n++) {
      issue("26442000000000000" + n, "1130.00"); // there before ingest starts: the snapshot reads them, in one batch
    }
    Path mapping = dir.resolve("pinyin.yaml");
    try (InputStream in = MappedCaptureIT.class.getResourceAsStream("/mapping/pinyin.yaml")) {
      Files.write(mapping, in.readAllBytes());
    }
    cfg = stack.config();
    cfg.remove("api.source.jdbc.url"); // trace's source probe does not follow a mapping yet
    cfg.put("ingest.mapping.file", mapping.toString());
    stack.startPipeline(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** One invoice as the tax-control system writes it: header and line in one transaction, 1,000.00 + 130.00 tax in fen. */
  static void issue(String number, String grandTotal) throws Exception {
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("INSERT INTO skj.fp_kj VALUES ('', '" + number + "', '82', '" + day + "', '" + day + "093000', '91440300MA5ETUPW89', "
          + "'深圳市示例科技有限公司', '91310000MA1FL4XQ3A', '上海某某贸易有限公司', '1,000.00', 13000, " + grandTotal + ", '0', '0', NULL, NULL, NULL)");
      s.execute("INSERT INTO skj.fp_mx VALUES ('', '" + number + "', 1, '*信息技术服务*软件维护', NULL, '次', 1, 1000, 1000.00, '13%', 130.00, "
          + "'3040201010000000000')");
      c.commit();
    }
  }

  static String store(String sql) throws Exception {
    try (Connection c = stack.pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Test
  void capturesTheCustomersOwnTablesThroughTheMapping() throws Exception {
    // the snapshot: every invoice's line found by the composite join (fpdm, fphm)
    await().atMost(Duration.ofMinutes(2)).until(() -> "3".equals(store("SELECT count(*) FROM invoice WHERE id LIKE '2644200000000000020_'")));
    assertThat(store("SELECT count(*) FROM invoice_line WHERE invoice_id LIKE '2644200000000000020_'")).isEqualTo("3");
    assertThat(store("SELECT total_tax || '/' || total_amount || '/' || issue_date FROM invoice WHERE id = '26442000000000000201'"))
        .as("fen, text with separators, a text date").isEqualTo("130.00/1000.00/" + LocalDate.parse(day, DateTimeFormatter.BASIC_ISO_DATE));
    assertThat(store("SELECT tax_rate FROM invoice_line WHERE invoice_id = '26442000000000000201'")).isEqualTo("0.1300");

    // streamed: a valid one visible, one a fen off rejected with the rule's code
    issue("26442000000000000212", "1130.00");
    issue("26442000000000000213", "1130.01");
    await().atMost(Duration.ofMinutes(1)).until(() -> store("SELECT invoice_type FROM invoice WHERE id = '26442000000000000212'") != null);
    assertThat(store("SELECT invoice_type || '/' || status FROM invoice WHERE id = '26442000000000000212'")).isEqualTo("DIGITAL_GENERAL/ISSUED");
    await().atMost(Duration.ofMinutes(1)).until(() -> store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000213'") != null);
    assertThat(store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000213'")).contains("GRAND_TOTAL_MISMATCH");

    // voided there (zfbz 0 -> 1), a header-only update: captured through the mapping and judged on its merits, an electronic
    // invoice is never voided (only red-flushed), so the change is rejected and the visible version stays, with its line
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("UPDATE skj.fp_kj SET zfbz = '1' WHERE fphm = '26442000000000000212'");
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000212'") != null);
    assertThat(store("SELECT codes FROM invoice_rejection WHERE invoice_id = '26442000000000000212'")).contains("ELECTRONIC_VOID_NOT_ALLOWED");
    assertThat(store("SELECT version || '/' || status FROM invoice WHERE id = '26442000000000000212'")).isEqualTo("1/ISSUED");
    assertThat(store("SELECT count(*) FROM invoice_line WHERE invoice_id = '26442000000000000212'")).isEqualTo("1");
  }

  @Test
  void whatDoesNotFollowAMappingYetIsRefusedNamingTheKey() {
    Map<String, String> withReconcile = new java.util.HashMap<>(cfg);
    withReconcile.put("reconcile.interval.ms", "60000");
    assertThatThrownBy(() -> new Pipeline(withReconcile, EnumSet.of(Pipeline.Component.PROJECTOR, Pipeline.Component.API)).start())
        .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.mapping.file").hasMessageContaining("reconciliation");
    assertThatThrownBy(() -> io.invoicesync.cli.internal.RunConfig.of(cfg).resyncer()).isInstanceOf(ConfigException.class)
        .hasMessageContaining("resync does not follow a mapping yet");
  }
}
