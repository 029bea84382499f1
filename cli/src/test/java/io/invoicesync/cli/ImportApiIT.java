package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.generator.PlatformFiles;
import io.invoicesync.testkit.TestHttp;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform's files over HTTP, with bearer tokens: {@code POST /api/v1/imports} imports only the
 * invoices of the token's taxpayers (as seller or buyer; the rest refused and counted, never named),
 * {@code GET /api/v1/imports/{id}} answers only the taxpayers whose invoices they are, {@code POST
 * /api/v1/reconcile/against} compares only the token's invoices, and the limits refuse an upload
 * that is too large before anything is imported.
 */
class ImportApiIT {

  static final String JWT_KEY = "import-api-it-hs256-key-0123456789abcdef";
  static final String OURS = "91440300MA5ETUPW89";
  static final String SUPPLIER = "91310000MA1FL4XQ3A";
  static final String STRANGER_SELLER = "91110108551385082Q";
  static final String STRANGER_BUYER = "91350100M000100Y43";

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Pipeline pipeline;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    Map<String, String> cfg = stack.config();
    cfg.put("api.auth.mode", "jwt");
    cfg.put("api.auth.jwt.secret", JWT_KEY);
    cfg.put("api.auth.jwt.issuer", "https://idp.example.com/");
    cfg.put("api.auth.jwt.audience", "invoice-sync");
    cfg.put("api.import.max.rows", "3");
    pipeline = stack.startPipeline(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static PlatformFiles.Invoice invoice(long serial, String seller, String buyer) {
    BigDecimal amount = new BigDecimal("1000.00");
    BigDecimal tax = new BigDecimal("130.00");
    return new PlatformFiles.Invoice(null, IssuingDay.digitalNumber(serial), "数电票（增值税专用发票）",
        LocalDateTime.of(IssuingDay.today(), java.time.LocalTime.of(9, 0)), seller, "销方" + serial, buyer, "购方" + serial, amount, tax,
        amount.add(tax), "正常", true, null, List.of(new PlatformFiles.Line("1090101990000000000", "*电子元件*传感器", null, "个",
        BigDecimal.TEN, new BigDecimal("100"), amount, "13%", tax)));
  }

  static String token(List<String> taxIds, String scope) throws Exception {
    return TestTokens.hs256(JWT_KEY, "clerk", taxIds, scope);
  }

  /** POST of {@code files} as multipart/form-data parts named 'file'. */
  static HttpResponse<String> upload(String path, String token, Path... files) throws Exception {
    String boundary = "----invoice-sync-" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Path f : files) {
      body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + f.getFileName() + "\"\r\n"
          + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      body.writeBytes(Files.readAllBytes(f));
      body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest.Builder r = (token == null ? TestHttp.request(TestHttp.localhost(pipeline.api().port(), path))
        : TestHttp.request(TestHttp.localhost(pipeline.api().port(), path), token))
        .timeout(Duration.ofSeconds(90)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    return TestHttp.send(r.build());
  }

  /** A clerk imports the platform's export from the console, signed in with her token: hers are decided, the stranger's refused. */
  @Test
  void aClerkImportsTheExportFromTheConsole() throws Exception {
    TraceIT.assumeBrowser();
    Path export = dir.resolve("全量发票查询导出_202612.xlsx");
    PlatformFiles.workbook(export, List.of(invoice(7_101, OURS, SUPPLIER), invoice(7_102, SUPPLIER, OURS),
        invoice(7_103, STRANGER_SELLER, STRANGER_BUYER)));
    String ours = token(List.of(OURS), "imports invoices:read invoices:trace");
    try (ConsoleBrowser b = new ConsoleBrowser(pipeline.api().url(), "zh-CN")) {
      b.open("/console/imports");
      assertThat(b.path()).isEqualTo("/console/signin");
      b.type("textarea[name=token]", ours);
      b.submit("form.signin");
      assertThat(b.path()).isEqualTo("/console/imports");
      assertThat(b.text("h1")).isEqualTo("导入税务平台文件");
      b.find("input[type=file]").sendKeys(export.toAbsolutePath().toString());
      b.submit("form.upload");
      assertThat(b.text("#import-summary")).as(b.text("main")).isEqualTo("共读取 3 张发票；2 张已发送至同步流程；1 张被拒绝（销方和购方均不是您所属的纳税人）。");
      assertThat(b.text("#import-decisions")).startsWith("处理结果：2 张已同步");
      assertThat(b.text("main")).as("the refused invoice is counted, never named").doesNotContain(STRANGER_SELLER,
          IssuingDay.digitalNumber(7_103));
      b.screenshot("import-zh");
      // the same file again changes nothing
      b.open("/console/imports?lang=en");
      b.find("input[type=file]").sendKeys(export.toAbsolutePath().toString());
      b.submit("form.upload");
      assertThat(b.text("#import-decisions")).as(b.text("main")).startsWith("The pipeline decided: 0 applied (new or changed), 2 deduplicated");
      b.click("a.import-link");
      assertThat(b.path()).startsWith("/console/imports/import-");
      assertThat(b.text("#import-decisions")).contains("2 deduplicated");
      assertThat(b.text("table.imports tbody")).contains("全量发票查询导出_202612.xlsx");
      b.screenshot("import-en");
      b.open("/console/invoices?number=" + IssuingDay.digitalNumber(7_102));
      assertThat(b.text("main")).as("the received invoice (进项), visible to its buyer").contains(IssuingDay.digitalNumber(7_102));
    }
    // another taxpayer sees none of it
    String theirs = token(List.of(STRANGER_SELLER), "imports invoices:read");
    HttpResponse<String> page = TraceIT.consoleGet(pipeline.api(), "/console/imports", theirs);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).doesNotContain("全量发票查询导出_202612.xlsx");
  }

  @Test
  void importsOnlyTheTokensTaxpayersInvoicesAndAnswersOnlyThem() throws Exception {
    Path export = dir.resolve("全量发票查询导出_202611.xlsx");
    PlatformFiles.workbook(export, List.of(invoice(7_001, OURS, SUPPLIER), invoice(7_002, SUPPLIER, OURS),
        invoice(7_003, STRANGER_SELLER, STRANGER_BUYER)));
    String ours = token(List.of(OURS), "imports invoices:read invoices:trace");
    String theirs = token(List.of(STRANGER_SELLER), "imports invoices:read");

    assertThat(upload("/api/v1/imports", null, export).statusCode()).isEqualTo(401);
    assertThat(upload("/api/v1/imports", token(List.of(OURS), "invoices:read"), export).statusCode()).as("no 'imports' scope")
        .isEqualTo(403);

    HttpResponse<String> r = upload("/api/v1/imports?wait=60", ours, export);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode report = json.readTree(r.body());
    assertThat(report.get("published").asInt()).isEqualTo(2);
    assertThat(report.get("refused").asInt()).isEqualTo(1);
    assertThat(r.body()).as("the refused invoice is counted, never named").doesNotContain(STRANGER_SELLER, STRANGER_BUYER,
        IssuingDay.digitalNumber(7_003));
    assertThat(report.get("decisions").get("applied").asInt()).as(r.body()).isEqualTo(2);
    String id = report.get("id").asText();
    assertThat(r.headers().firstValue("Location")).hasValue("/api/v1/imports/" + id);
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/invoices/" + IssuingDay.digitalNumber(7_002), ours).statusCode())
        .as("the received invoice (进项) is visible to its buyer").isEqualTo(200);

    HttpResponse<String> decided = TestHttp.get(pipeline.api().port(), "/api/v1/imports/" + id, ours);
    assertThat(decided.statusCode()).isEqualTo(200);
    assertThat(json.readTree(decided.body()).get("decisions").get("applied").asInt()).isEqualTo(2);
    assertThat(json.readTree(decided.body()).get("files").get(0).get("file").asText()).startsWith("全量发票查询导出_202611.xlsx");
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/imports/" + id, theirs).statusCode()).as("not theirs").isEqualTo(404);
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/imports/nonsense", ours).statusCode()).isEqualTo(400);

    // the same export as the authority, for this token's taxpayers only: both invoices shown as listed, the stranger's not compared
    HttpResponse<String> against = upload("/api/v1/reconcile/against", ours, export);
    assertThat(against.statusCode()).as(against.body()).isEqualTo(200);
    JsonNode a = json.readTree(against.body());
    assertThat(a.get("listedInScope").asInt()).isEqualTo(2);
    assertThat(a.get("ok").asBoolean()).as(against.body()).isTrue();
    assertThat(against.body()).doesNotContain(STRANGER_SELLER, IssuingDay.digitalNumber(7_003));

    // an upload over api.import.max.rows (3) is refused before anything is imported
    Path big = dir.resolve("big.xlsx");
    PlatformFiles.workbook(big, List.of(invoice(7_011, OURS, SUPPLIER), invoice(7_012, OURS, SUPPLIER), invoice(7_013, OURS, SUPPLIER),
        invoice(7_014, OURS, SUPPLIER)));
    HttpResponse<String> tooMany = upload("/api/v1/imports", ours, big);
    assertThat(tooMany.statusCode()).isEqualTo(413);
    assertThat(tooMany.body()).contains("api.import.max.rows");
    assertThat(stack.store("SELECT count(*) FROM invoice_event WHERE invoice_id = '" + IssuingDay.digitalNumber(7_011) + "'")).isEqualTo("0");
  }
}
