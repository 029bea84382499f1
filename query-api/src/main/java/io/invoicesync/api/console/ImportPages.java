package io.invoicesync.api.console;

import io.invoicesync.api.internal.ImportRoutes;
import io.invoicesync.api.internal.ProblemException;
import io.invoicesync.api.internal.RouteTable;
import io.invoicesync.api.internal.RouteTable.Param;
import io.invoicesync.api.internal.RouteTable.Route;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.Scope;
import io.invoicesync.imports.FileReaders;
import io.invoicesync.outcomes.imports.ImportDecisions;
import io.invoicesync.outcomes.imports.ImportHistory;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The console's import page ({@code /console/imports}, scope {@code imports}): a clerk uploads the tax
 * platform's files (数电票 XML, OFD, the full query export as xlsx or CSV) and reads what the pipeline
 * decided — through the same code as {@code POST /api/v1/imports} (the token's taxpayers only, the
 * same limits) — and sees the files imported lately. {@code /console/imports/{id}} is one import's
 * decisions, bookmarkable.
 */
final class ImportPages {

  /** How long the page waits for the pipeline's decisions before it shows what it has (the rest: the import's own page). */
  static final int WAIT_SECONDS = 20;
  private static final Param LANG = ConsoleRoutes.LANG;

  private final ConsoleRoutes console;
  private final ImportRoutes imports;
  private final DataSource store;

  ImportPages(ConsoleRoutes console, ImportRoutes imports, DataSource store) {
    this.console = console;
    this.imports = imports;
    this.store = store;
  }

  void register(RouteTable routes) {
    routes.add(ConsoleRoutes.html(Route.get("/console/imports", Scope.IMPORTS, "console", "Console: upload the tax platform's files; "
        + "the files imported lately")).query(LANG), this::page);
    routes.add(ConsoleRoutes.html(Route.post("/console/imports", Scope.IMPORTS, "console", "Console: import the uploaded files and show "
        + "what the pipeline decided")).body(RouteTable.Body.MULTIPART).query(LANG), this::upload);
    routes.add(ConsoleRoutes.html(Route.get("/console/imports/{id}", Scope.IMPORTS, "console", "Console: what the pipeline decided for "
        + "one import's invoices")).query(LANG), this::decided);
  }

  private void page(Context ctx) throws Exception {
    Views.Page page = console.page(ctx, "imp.title", "imports");
    console.render(ctx, "imports.jte", page, new Views.Imports(null, recent(ctx, page.t())));
  }

  private void upload(Context ctx) throws Exception {
    ConsoleRoutes.sameOrigin(ctx);
    Views.Page page = console.page(ctx, "imp.title", "imports");
    Texts t = page.t();
    Caller caller = ApiSecurity.caller(ctx);
    Views.ImportResult result;
    try {
      Map<String, Object> body = imports.importUpload(ctx, caller, WAIT_SECONDS);
      result = result(t, body);
    } catch (ProblemException e) {
      ctx.status(e.status());
      result = new Views.ImportResult(null, List.of(), null, null, List.of(), List.of(), e.getMessage());
    }
    console.render(ctx, "imports.jte", page, new Views.Imports(result, recent(ctx, t)));
  }

  private void decided(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    Views.Page page = console.page(ctx, "imp.title", "imports");
    Texts t = page.t();
    long[] range;
    try {
      range = ImportDecisions.positions(id);
    } catch (IllegalArgumentException e) {
      ctx.status(404);
      console.render(ctx, "notfound.jte", page, t.get("imp.notfound", id));
      return;
    }
    ImportDecisions d = ImportDecisions.read(store, range[0], range[1], -1, ApiSecurity.caller(ctx).tenant());
    if (d.applied + d.deduplicated + d.rejected + d.awaiting == 0) {
      ctx.status(404);
      console.render(ctx, "notfound.jte", page, t.get("imp.notfound", id));
      return;
    }
    List<String> files = new ArrayList<>();
    d.files.forEach((f, n) -> files.add(t.get("imp.fileDecided", f, n)));
    Views.ImportResult result = new Views.ImportResult(id, files, null, decisions(t, d.toJson()), rejections(t, d.toJson()), List.of(), null);
    console.render(ctx, "imports.jte", page, new Views.Imports(result, recent(ctx, t)));
  }

  @SuppressWarnings("unchecked")
  private static Views.ImportResult result(Texts t, Map<String, Object> body) {
    List<String> files = new ArrayList<>();
    for (FileReaders.Summary f : (List<FileReaders.Summary>) body.get("files")) {
      files.add(t.get("imp.fileRead", f.file(), f.format(), f.invoices(), f.problems()));
    }
    ((List<String>) body.get("unreadableFiles")).forEach(f -> files.add(t.get("imp.fileUnreadable", f)));
    String summary = t.get("imp.summary", body.get("invoices"), body.get("published"), body.get("refused"));
    List<String> problems = new ArrayList<>();
    for (Map<String, Object> p : (List<Map<String, Object>>) body.get("problems")) {
      String where = p.get("row") != null ? t.get("imp.row", p.get("file"), p.get("sheet") == null ? "" : p.get("sheet"), p.get("row"))
          : p.get("path") != null ? p.get("file") + " " + p.get("path") : String.valueOf(p.get("file"));
      problems.add(where + ": " + p.get("reason"));
    }
    Map<String, Object> decisions = (Map<String, Object>) body.get("decisions");
    int published = (Integer) body.get("published");
    return new Views.ImportResult(published > 0 ? (String) body.get("id") : null, files, summary,
        decisions == null ? null : decisions(t, decisions), decisions == null ? List.of() : rejections(t, decisions), problems, null);
  }

  /** "3 applied, 1 deduplicated, 1 rejected, 0 waiting for their blue invoice, 0 not decided yet". */
  private static String decisions(Texts t, Map<String, Object> d) {
    return t.get("imp.decisions", d.get("applied"), d.get("deduplicated"), d.get("rejected"), d.get("awaitingBlue"), d.get("pending"));
  }

  @SuppressWarnings("unchecked")
  private static List<String> rejections(Texts t, Map<String, Object> d) {
    List<String> out = new ArrayList<>();
    ((Map<String, Long>) d.get("rejectedByRule")).forEach((rule, n) -> out.add(t.get("imp.rejectedBy", n, rule)));
    return out;
  }

  private List<Views.ImportedFile> recent(Context ctx, Texts t) throws Exception {
    List<Views.ImportedFile> out = new ArrayList<>();
    for (ImportHistory.ImportedFile f : ImportHistory.recent(store, ApiSecurity.caller(ctx).tenant(), Duration.ofDays(90), 20)) {
      out.add(new Views.ImportedFile(f.file(), f.sha256() == null ? "" : f.sha256().substring(0, Math.min(12, f.sha256().length())),
          console.time(f.lastDecidedAt().toString()), f.applied(), f.deduplicated(), f.rejected()));
    }
    return out;
  }
}
