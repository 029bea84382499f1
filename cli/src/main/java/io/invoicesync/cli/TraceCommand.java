package io.invoicesync.cli;

import io.invoicesync.outcomes.Outcome;
import io.invoicesync.cli.internal.OutputOption;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.trace.TraceService;
import io.invoicesync.outcomes.trace.SourceProbe;
import io.invoicesync.outcomes.view.AuditEntryView;
import io.invoicesync.cli.internal.RunConfig;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code invoice-sync trace ID}: where an invoice is and why, from the query store (and the issuing database) or a running API. */
@Command(name = "trace", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
    description = {"Where is this invoice, and why? VISIBLE, REJECTED (with every violation), DEAD_LETTERED, IN_FLIGHT,",
        "NOT_CAPTURED (needs source access) or UNKNOWN, with its timeline and history.",
        "Exit 0 when the invoice is visible at its latest state, 1 when it is not, 2 when no answer could be had."},
    footer = {"", "Examples:", "  invoice-sync trace hand-1                                  # asks the API at http://localhost:8080",
        "  invoice-sync trace hand-1 --config prod.properties --output json",
        "  invoice-sync trace --number 26442000000000000777"})
final class TraceCommand implements Callable<Integer> {

  @Parameters(arity = "0..1", paramLabel = "ID", description = "The invoice id (the issuing platform's primary key).")
  String id;

  @Option(names = "--number", description = "Find the invoice by its printed number instead (20-digit 数电票, or 8 digits with --code).")
  String number;

  @Option(names = "--code", description = "The invoice code (10 or 12 digits) that goes with an 8-digit --number.")
  String code;

  @Option(names = "--source", paramLabel = "NAME", description = "With several issuing sources ('sources' in --config): the issuing database "
      + "to ask when the invoice is not in the store (NOT_CAPTURED). Without it, the store alone answers.")
  String sourceName;
  @Option(names = "--config", description = "A 'run' configuration: the query store from api.jdbc.* (or projector.jdbc.*), the issuing "
      + "database from api.source.jdbc.* (or ingest.database.*). Without it, the API at --api is asked.")
  Path config;

  @Option(names = "--api", defaultValue = "http://localhost:8080", description = "A running query API (default: ${DEFAULT-VALUE}).")
  String api;

  @Option(names = "--token", defaultValue = "${env:INVOICESYNC_API_TOKEN}", description = "Bearer token (JWT) for an API with "
      + "api.auth.mode=jwt, needing scope invoices:trace (and invoices:read for --number); default: $INVOICESYNC_API_TOKEN. Not "
      + "echoed anywhere.")
  String token;

  @Mixin
  OutputOption output;

  @Spec
  CommandSpec spec;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final TypeReference<List<AuditEntryView>> HISTORY = new TypeReference<>() {
  };

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if ((id == null) == (number == null)) {
      err.println("invoice-sync trace: give either an ID or --number");
      return 2;
    }
    Map<String, Object> trace;
    try {
      trace = config != null ? fromStore() : fromApi();
    } catch (Exception e) {
      err.println("invoice-sync trace: cannot answer: " + e.getMessage());
      return 2;
    }
    if (trace == null) {
      err.println("invoice-sync trace: no invoice with number " + number + (code == null ? "" : " and code " + code)
          + " is known to the query store");
      return 1;
    }
    if (output.json()) {
      out.println(JSON.writeValueAsString(trace));
    } else {
      printTable(out, trace);
    }
    out.flush();
    return Outcome.VISIBLE.name().equals(trace.get("outcome")) ? 0 : 1;
  }

  private Map<String, Object> fromStore() throws Exception {
    RunConfig all = RunConfig.load(config);
    // several sources: the probe asks the one named, else none (the store still answers for every source)
    RunConfig rc = sourceName != null ? all.forSource(sourceName) : all;
    DataSource source = sourceName == null && !all.sources().isEmpty() ? null : rc.source();
    TraceService tracer = new TraceService(rc.store(), source == null ? null : new SourceProbe(source, rc.issuingTables(source, null), rc.slotName()));
    String target = id;
    if (target == null) {
      List<String> ids = tracer.idsByNumber(Tenant.ALL, number, code);
      if (ids.isEmpty()) {
        return null;
      }
      target = only(ids);
    }
    return tracer.trace(Tenant.ALL, target).orElseThrow(); // every taxpayer's: always an answer
  }

  /** The one invoice a number names; several (an 8-digit number without its code) must not be answered for one of them silently. */
  private String only(List<String> ids) {
    if (ids.size() > 1) {
      throw new IllegalArgumentException("invoice number " + number + (code == null ? "" : " with code " + code) + " names " + ids.size()
          + " invoices (" + String.join(", ", ids) + "); trace one by its id" + (code == null ? " or add --code" : ""));
    }
    return ids.get(0);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> fromApi() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String target = id;
    if (target == null) {
      String q = "invoiceNumber=" + URLEncoder.encode(number, StandardCharsets.UTF_8)
          + (code == null ? "" : "&invoiceCode=" + URLEncoder.encode(code, StandardCharsets.UTF_8));
      Map<String, Object> page = get(http, "/api/v1/invoices?" + q);
      List<Map<String, Object>> items = (List<Map<String, Object>>) page.get("items");
      List<Map<String, Object>> notVisible = (List<Map<String, Object>>) page.getOrDefault("notVisible", List.of());
      if (!items.isEmpty()) {
        target = only(items.stream().map(i -> (String) i.get("id")).toList());
      } else if (!notVisible.isEmpty()) {
        target = only(notVisible.stream().map(i -> (String) i.get("invoiceId")).toList());
      } else {
        return null;
      }
    }
    return get(http, "/api/v1/invoices/" + URLEncoder.encode(target, StandardCharsets.UTF_8).replace("+", "%20") + "/trace");
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> get(HttpClient http, String path) throws Exception {
    HttpResponse<String> r;
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.replaceAll("/+$", "") + path)).timeout(Duration.ofSeconds(30));
      if (token != null && !token.isBlank()) {
        request.header("Authorization", "Bearer " + token.strip());
      }
      r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new IllegalStateException("no query API at " + api + " (start one, give --api, or use --config with a run configuration)");
    }
    if (r.statusCode() == 401) {
      throw new IllegalStateException("the API at " + api + " needs a bearer token: give --token or set INVOICESYNC_API_TOKEN ("
          + r.body() + ")");
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException("the API answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readValue(r.body(), Map.class);
  }

  @SuppressWarnings("unchecked")
  static void printTable(PrintWriter out, Map<String, Object> t) {
    String number = t.get("invoiceNumber") == null ? "" : "  (" + (t.get("invoiceCode") == null ? "" : t.get("invoiceCode") + " ")
        + t.get("invoiceNumber") + ")";
    out.println("invoice      " + t.get("invoiceId") + number);
    out.println("outcome      " + t.get("outcome"));
    out.println("explanation  " + t.get("explanation"));
    out.println("action       " + t.get("action"));
    out.println("versions     visible " + orDash(t.get("visibleVersion")) + ", latest seen " + orDash(t.get("latestVersionSeen")));
    Map<String, Object> tl = (Map<String, Object>) t.get("timeline");
    out.println("timeline     source commit " + orDash(tl.get("sourceCommit")) + " | captured " + orDash(tl.get("captured"))
        + " | decided " + orDash(tl.get("decided")) + " | projected " + orDash(tl.get("projected")));
    Map<String, Object> rejection = (Map<String, Object>) t.get("rejection");
    if (rejection != null) {
      out.println();
      out.println("rejected at " + rejection.get("rejectedAt") + ":");
      List<Map<String, Object>> vs = (List<Map<String, Object>>) rejection.get("violations");
      out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, vs, List.of(
          new Column().header("code").dataAlign(HorizontalAlign.LEFT).with(v -> str(v.get("code"))),
          new Column().header("field").dataAlign(HorizontalAlign.LEFT).with(v -> str(v.get("field"))),
          new Column().header("value").dataAlign(HorizontalAlign.LEFT).with(v -> str(v.get("value"))),
          new Column().header("expected").dataAlign(HorizontalAlign.LEFT).with(v -> str(v.get("expected"))),
          new Column().header("message").dataAlign(HorizontalAlign.LEFT).maxWidth(60).with(v -> str(v.get("message"))))));
    }
    List<Map<String, Object>> dls = (List<Map<String, Object>>) t.get("deadLetters");
    if (dls != null && !dls.isEmpty()) {
      out.println();
      out.println("dead letters:");
      out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, dls, List.of(
          new Column().header("at").with(d -> str(d.get("deadLetteredAt"))),
          new Column().header("where").dataAlign(HorizontalAlign.LEFT).with(d -> d.get("topic") + "-" + d.get("partition") + "@" + d.get("offset")),
          new Column().header("stage").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.get("stage"))),
          new Column().header("attempts").with(d -> str(d.get("attempts"))),
          new Column().header("cause").dataAlign(HorizontalAlign.LEFT).maxWidth(70).with(d -> str(d.get("message"))))));
    }
    // the trace's own entries (from the store) or their JSON (from the API): read as the one shape either way
    List<AuditEntryView> history = t.get("history") == null ? List.of() : JSON.convertValue(t.get("history"), HISTORY);
    if (!history.isEmpty()) {
      out.println();
      out.println("history:");
      out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, history, List.of(
          new Column().header("recorded").with(e -> str(e.recordedAt())),
          new Column().header("stage").dataAlign(HorizontalAlign.LEFT).with(e -> str(e.stage())),
          new Column().header("event").dataAlign(HorizontalAlign.LEFT).with(e -> str(e.event())),
          new Column().header("version").with(e -> str(e.version())),
          new Column().header("source").with(e -> e.file() != null ? "imported from " + e.file().describe()
              : e.source() == null ? str(e.sourceLsn()) : e.source() + " " + e.sourceLsn()),
          new Column().header("detail").dataAlign(HorizontalAlign.LEFT).maxWidth(70).with(e -> str(e.detail())))));
    }
    List<Map<String, Object>> hooks = (List<Map<String, Object>>) t.get("webhooks");
    if (hooks != null && !hooks.isEmpty()) {
      out.println();
      out.println("webhook deliveries:");
      out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, hooks, List.of(
          new Column().header("endpoint").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.get("endpointId"))),
          new Column().header("message").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.get("messageId"))),
          new Column().header("event").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.get("eventType"))),
          new Column().header("version").with(d -> str(d.get("version"))),
          new Column().header("status").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.get("status"))),
          new Column().header("attempts").with(d -> str(d.get("attempts"))),
          new Column().header("last").with(d -> str(d.get("lastResponseStatus"))),
          new Column().header("delivered").with(d -> str(d.get("deliveredAt"))))));
    }
    Map<String, Object> source = (Map<String, Object>) t.get("source");
    if (source != null && Boolean.TRUE.equals(source.get("checked"))) {
      out.println();
      out.println("issuing db   " + (Boolean.TRUE.equals(source.get("present")) ? "present, status " + source.get("status") + ", changed "
          + source.get("changedAt") : "no invoice with this id") + "; capture " + orDash(source.get("captureBehindBytes")) + " bytes behind");
    }
  }

  private static String orDash(Object o) {
    return o == null ? "-" : o.toString();
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
