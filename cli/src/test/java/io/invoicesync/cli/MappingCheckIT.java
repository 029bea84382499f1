package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.testkit.IssuingInvoice;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invoice-sync mapping check} against a real PostgreSQL: the reference schema through the
 * shipped mapping, a tax-control system's pinyin tables through theirs (rows mapped and judged by
 * sync-streams' rules), and a broken mapping whose every problem is named.
 */
class MappingCheckIT {

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static Path config;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), EmbeddedPostgresServer.USER, "");
    LocalDate today = LocalDate.now(ZoneId.of("Asia/Shanghai"));
    try (Connection c = pg.connect("issuing")) {
      c.setAutoCommit(false);
      IssuingInvoice.digital("ref-1", "26442000000000000001").issued(today.atTime(10, 0))
          .totals(new BigDecimal("1000.00"), new BigDecimal("130.00"), new BigDecimal("1130.00"))
          .line(IssuingInvoice.Line.service(BigDecimal.ONE, new BigDecimal("1000"), new BigDecimal("1000.00"), new BigDecimal("130.00"))).insert(c);
      c.commit();
    }
    String day = today.format(DateTimeFormatter.BASIC_ISO_DATE);
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement();
         InputStream sql = MappingCheckIT.class.getResourceAsStream("/io/invoicesync/ingest/mapping/examples/pinyin.sql")) {
      s.execute(new String(sql.readAllBytes(), StandardCharsets.UTF_8));
      // a valid digital invoice: 1,000.00 + 130.00 tax (in fen) = 1,130.00, one line at 13%
      s.execute("INSERT INTO skj.fp_kj VALUES ('', '26442000000000000101', '82', '" + day + "', '" + day + "093000', '91440300MA5ETUPW89', "
          + "'深圳市示例科技有限公司', '91310000MA1FL4XQ3A', '上海某某贸易有限公司', '1,000.00', 13000, 1130.00, '0', '0', NULL, NULL, NULL)");
      s.execute("INSERT INTO skj.fp_mx VALUES ('', '26442000000000000101', 1, '*信息技术服务*软件维护', NULL, '次', 1, 1000, 1000.00, '13%', "
          + "130.00, '3040201010000000000')");
      // its grand total one fen off: rejected, with the rule's reasons
      s.execute("INSERT INTO skj.fp_kj VALUES ('', '26442000000000000102', '82', '" + day + "', '" + day + "093100', '91440300MA5ETUPW89', "
          + "'深圳市示例科技有限公司', '91310000MA1FL4XQ3A', '上海某某贸易有限公司', '1,000.00', 13000, 1130.01, '0', '0', NULL, NULL, NULL)");
      s.execute("INSERT INTO skj.fp_mx VALUES ('', '26442000000000000102', 1, '*信息技术服务*软件维护', NULL, '次', 1, 1000, 1000.00, '13%', "
          + "130.00, '3040201010000000000')");
    }
    config = dir.resolve("run.properties");
    Files.writeString(config, "ingest.database.port=" + pg.port() + "\ningest.database.dbname=issuing\ningest.database.user="
        + EmbeddedPostgresServer.USER + "\n");
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  record Run(int exit, String out, String err) {
  }

  static Run check(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 4];
    all[0] = "mapping";
    all[1] = "check";
    all[2] = "--config";
    all[3] = config.toString();
    System.arraycopy(args, 0, all, 4, args.length);
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(all);
    return new Run(exit, out.toString(), err.toString());
  }

  static Path resource(String name) throws Exception {
    Path p = dir.resolve(name);
    try (InputStream in = MappingCheckIT.class.getResourceAsStream("/io/invoicesync/ingest/mapping/examples/" + name)) {
      Files.write(p, in.readAllBytes());
    }
    return p;
  }

  @Test
  void theReferenceSchemaFitsTheShippedMappingAndItsInvoiceWouldBeVisible() throws Exception {
    Run r = check("--output", "json");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode report = json.readTree(r.out());
    assertThat(report.get("ok").asBoolean()).isTrue();
    assertThat(report.get("notes").toString()).contains("the primary key", "publication invoice_sync does not exist yet");
    assertThat(report.get("samples")).hasSize(1);
    assertThat(report.get("samples").get(0).get("decision").asText()).as(report.toString()).isEqualTo("VISIBLE");
  }

  @Test
  void aTaxControlSystemsPinyinTablesMapAndEachInvoiceIsJudgedAsThePipelineWould() throws Exception {
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE skj.fp_kj REPLICA IDENTITY FULL");
      s.execute("ALTER TABLE skj.fp_mx REPLICA IDENTITY FULL");
    }
    Run r = check("--mapping", resource("pinyin.yaml").toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("fits the database", "is unique in skj.fp_kj today but no index says so", "REPLICA IDENTITY FULL",
        "sampled 2 invoices: 1 would be VISIBLE, 1 REJECTED");
    assertThat(r.out()).containsPattern("/26442000000000000101 +VISIBLE +id 26442000000000000101");
    assertThat(r.out()).containsPattern("/26442000000000000102 +REJECTED");
    assertThat(r.out()).contains("GRAND_TOTAL_MISMATCH");
  }

  @Test
  void aBrokenMappingHasEachProblemNamedAndExitsOne() throws Exception {
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS broken");
      s.execute("CREATE TABLE broken.fp_kj (LIKE skj.fp_kj)"); // no primary key, REPLICA IDENTITY DEFAULT
      s.execute("CREATE TABLE broken.fp_mx (LIKE skj.fp_mx)");
      s.execute("INSERT INTO broken.fp_kj SELECT * FROM skj.fp_kj");
      s.execute("INSERT INTO broken.fp_kj SELECT * FROM skj.fp_kj WHERE fphm = '26442000000000000101'"); // the same invoice twice
    }
    String pinyin = Files.readString(resource("pinyin.yaml")).replace("skj.", "broken.");
    Path misspelt = dir.resolve("misspelt.yaml");
    Files.writeString(misspelt, pinyin.replace("invoiceNumber: fphm", "invoiceNumber: fphmm").replace("issueDate: {column: kprq, format: yyyyMMdd}",
        "issueDate: kprq"));
    Run r = check("--mapping", misspelt.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("invoice.invoiceNumber: broken.fp_kj does not have column 'fphmm' (did you mean 'fphm'?)",
        "invoice.issueDate: column 'kprq' is character varying, a date needs a 'format'");

    Path unique = dir.resolve("not-unique.yaml");
    Files.writeString(unique, pinyin);
    Run dup = check("--mapping", unique.toString(), "--output", "json");
    assertThat(dup.exit()).as(dup.out() + dup.err()).isEqualTo(1);
    String problems = json.readTree(dup.out()).get("problems").toString();
    assertThat(problems).contains("header.key [fpdm, fphm] is not unique in broken.fp_kj: 2 rows have [, 26442000000000000101]",
        "broken.fp_kj has REPLICA IDENTITY DEFAULT and no primary key", "broken.fp_mx has REPLICA IDENTITY DEFAULT and no primary key");
    assertThat(json.readTree(dup.out()).get("samples")).as("nothing is sampled from a mapping that does not fit").isEmpty();
  }

  @Test
  void aMappingFileThatIsNotValidIsRefusedWithItsPlaceAndAnUnreadableConfigIsExitTwo() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, Files.readString(resource("pinyin.yaml")).replace("  grandTotal: jshj", "  grandTotall: jshj"));
    Run r = check("--mapping", bad.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("not valid", "grandTotall");

    StringWriter err = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
        .execute("mapping", "check", "--config", dir.resolve("nope.properties").toString());
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("cannot read --config");
  }
}
