package io.invoicesync.api.console;

import io.invoicesync.outcomes.view.InvoiceView;
import java.util.List;
import java.util.Map;

/** What the console's templates show: plain records, filled by {@link ConsoleRoutes}, each field already in the page's language. */
public final class Views {

  private Views() {
  }

  /**
   * Every page's frame: its words, title, the link that switches the language, whether there is a
   * sign-in to show (and who), and which navigation item is current.
   */
  public record Page(Texts t, String title, String switchHref, boolean authRequired, String signedInAs, String active) {
  }

  /** A search form's values as given (for re-display) and what it found. */
  public record Search(Map<String, String> form, boolean searched, List<Row> rows, List<Missing> missing, String unknownNumber,
                       String error, String nextHref) {

    /** Whether the search used more than the number: the form then shows those fields open. */
    public boolean moreFields() {
      return form.keySet().stream().anyMatch(k -> !k.equals("number") && !k.equals("code"));
    }
  }

  /** One invoice in a result list. */
  public record Row(String href, String number, String code, String type, String issueDate, String seller, String buyer,
                    String grandTotal, String status) {
  }

  /** An invoice carrying the searched number that is not visible: its outcome and why, in one sentence. */
  public record Missing(String href, String id, String outcome, String outcomeLabel, String sentence) {
  }

  /** One reason of a rejection. */
  public record Reason(String code, String field, String value, String expected, String message) {
  }

  /** The one-sentence answer, what to do next, and how it should look ({@code ok}, {@code warn}, {@code bad}). */
  public record Verdict(String outcome, String label, String sentence, String action, String tone) {
  }

  /** A step of the timeline or the history. */
  public record Step(String label, String time, String detail) {
  }

  /** The invoice page: the invoice when visible, its trace when the sign-in may read it. */
  public record InvoicePage(String id, InvoiceView invoice, Verdict verdict, List<Reason> reasons, List<Step> timeline, List<Step> history,
                            boolean traceAllowed, String projectedAt) {

    public String auditHref() {
      return "/console/invoices/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8) + "/audit";
    }
  }

  /** A rejection in the list. */
  public record RejectionRow(String href, String number, String issueDate, String seller, String grandTotal, String rejectedAt,
                             List<Reason> reasons) {
  }

  /** A label and a value, for the status and reconciliation facts. */
  public record Fact(String label, String value) {
  }

  /** One bar of the last hour's chart, in SVG units, with its tooltip. */
  public record Bar(int x, int y, int w, int h, String title) {
  }

  /**
   * The last hour, minute by minute: bars of invoices made visible, the commit-to-visible p95 as a
   * line (its own scale on the right), the minutes with rejections or dead letters marked.
   */
  public record Chart(int width, int height, List<Bar> bars, String p95Points, List<Bar> failures, long maxVisible, String maxP95,
                      String from, String to, long visible, long rejected, long deadLettered) {
  }

  /** A dead letter whose invoice waits, as the operations page lists it. */
  public record DeadLetterRow(String coordinates, String invoiceHref, String invoiceId, String number, String stage, String error,
                              String message, String at) {
  }

  /** The operations page. */
  public record Operations(List<Fact> status, List<Fact> stages, Chart chart, List<Fact> reconcile, List<Fact> differences,
                           List<DeadLetterRow> deadLetters, boolean replayAvailable, List<Fact> channels) {
  }

  /** One dead letter of a replay: planned (dry run) or done. */
  public record ReplayRow(String coordinates, String invoiceHref, String key, String to, String decision, String reason) {
  }

  /** A replay's plan, to confirm, or its result; {@code replayed}: how many of the rows were sent. */
  public record Replay(List<ReplayRow> rows, List<String> chosen, boolean executed, String summary, String error, long replayed) {
  }

  /** An audit entry as the audit page lists it. */
  public record AuditRow(String time, String event, String stage, String version, String hash, String prevHash, Boolean hashOk) {
  }

  /** The audit page: the chain verified or not, its problems, its entries. */
  public record Audit(String id, String number, boolean verified, List<String> problems, List<AuditRow> entries) {

    public String invoiceHref() {
      return "/console/invoices/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** A webhook endpoint in the list: where it posts (or a feed), what it wants, whether it is delivering. */
  public record EndpointRow(String href, String id, String target, String events, String state, String tone, String note) {
  }

  /** One message sent (or to send) to an endpoint. */
  public record DeliveryRow(String invoiceHref, String invoiceId, String type, String version, String status, String tone, int attempts,
                            String lastStatus, String lastError, String created, String delivered) {
  }

  /** An endpoint's page: what it is and its newest messages. */
  public record EndpointPage(EndpointRow endpoint, List<DeliveryRow> deliveries, String nextHref) {
  }

  /** The rejections page. */
  public record Rejections(Map<String, String> form, List<RejectionRow> rows, String error, String nextHref) {
  }

  /**
   * The audit page: the period asked for, how many entries it holds (null before one is asked for) and the downloads, or why not.
   */
  public record AuditPeriod(Map<String, String> form, String summary, String csvHref, String jsonlHref, String error) {
  }

  /** The import page: the last upload's result (null before one) and the files imported lately. */
  public record Imports(ImportResult result, List<ImportedFile> recent) {
  }

  /**
   * What an import did: its id (null when nothing was sent), each file read, one summary sentence, the pipeline's decisions so far,
   * rejections by rule, the rows that could not be read, or why nothing was imported.
   */
  public record ImportResult(String id, List<String> files, String summary, String decisions, List<String> rejections, List<String> problems,
                             String error) {
  }

  /** A file imported lately: name, SHA-256 (the first 12), when its invoices were last decided, and how. */
  public record ImportedFile(String file, String sha256, String lastDecided, long applied, long deduplicated, long rejected) {
  }
}
