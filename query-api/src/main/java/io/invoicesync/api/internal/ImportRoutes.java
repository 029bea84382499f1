package io.invoicesync.api.internal;

import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.Caller;
import io.invoicesync.api.security.Scope;
import io.invoicesync.imports.FileReaders;
import io.invoicesync.imports.ImportProblem;
import io.invoicesync.imports.ImportRun;
import io.invoicesync.imports.ImportSink;
import io.invoicesync.imports.ImportedInvoice;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.imports.ImportDecisions;
import io.invoicesync.outcomes.imports.KnownInvoices;
import io.invoicesync.outcomes.reconcile.AgainstExport;
import io.invoicesync.schemas.InvoiceChange;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;

/**
 * The tax platform's files over HTTP: {@code POST /api/v1/imports} (multipart, one or more {@code file}
 * parts; scope {@code imports}) imports them as {@code invoice-sync import} does, only the invoices
 * where one of the token's taxpayers is seller or buyer (the others are refused and counted, never
 * named); {@code GET /api/v1/imports/{id}} says what the pipeline decided about them; {@code POST
 * /api/v1/reconcile/against} (scope {@code invoices:read}) answers {@code reconcile --against}'s report
 * for the token's taxpayers. Uploads are limited in bytes ({@code api.import.max.bytes}) and invoices
 * ({@code api.import.max.rows}), checked before anything is sent.
 */
public final class ImportRoutes {

  private final DataSource store;
  private final Supplier<Producer<String, InvoiceChange>> producer;
  private final String topic;
  private final int maxRows;

  /**
   * @param producer the imported topic's producer, made when first needed (null: imports are off, no bootstrap.servers)
   */
  public ImportRoutes(DataSource store, Supplier<Producer<String, InvoiceChange>> producer, String topic, int maxRows) {
    this.store = store;
    this.producer = producer;
    this.topic = topic;
    this.maxRows = maxRows;
  }

  public void register(RouteTable routes) {
    routes.add(RouteTable.Route.post("/api/v1/imports", Scope.IMPORTS, "imports", "Import the tax platform's files (数电票 XML, OFD, "
        + "the full query export as xlsx or CSV) through the pipeline; answers once the pipeline decided or after 'wait' seconds")
        .body(RouteTable.Body.MULTIPART).answers(201, "application/json")
        .query(RouteTable.Param.integer("wait", "seconds to wait for the pipeline's decisions, 0 to 300 (default 30)")), this::importFiles);
    routes.add(RouteTable.Route.get("/api/v1/imports/{id}", Scope.IMPORTS, "imports", "What the pipeline decided for each invoice of "
        + "an import"), this::decided);
    routes.add(RouteTable.Route.post("/api/v1/reconcile/against", Scope.INVOICES_READ, "imports", "Reconcile the store against the "
        + "platform's export (the authority): missing, different, and not listed").body(RouteTable.Body.MULTIPART)
        .query(RouteTable.Param.date("from", "the period's first issue date"), RouteTable.Param.date("to", "the period's last issue date"),
            RouteTable.Param.text("seller", "only this seller's invoices"), RouteTable.Param.text("buyer", "only this buyer's invoices")),
        this::against);
  }

  /** The uploaded files in a directory of their own, under their own names (directories stripped), deleted after. */
  private static final class Uploads implements AutoCloseable {
    final Path dir;
    final List<Path> files = new ArrayList<>();

    Uploads(Context ctx) throws IOException {
      List<UploadedFile> parts = ctx.uploadedFiles("file");
      if (parts.isEmpty()) {
        throw new ProblemException(400, "No file", "send the files as multipart/form-data parts named 'file' (数电票 XML, OFD, the "
            + "platform's export as xlsx or CSV)", List.of(Map.of("name", "file", "reason", "missing")));
      }
      dir = Files.createTempDirectory("invoice-sync-upload");
      int i = 0;
      for (UploadedFile part : parts) {
        String name = part.filename() == null ? "" : Path.of(part.filename().replace('\\', '/')).getFileName().toString();
        if (name.isBlank() || name.startsWith(".")) {
          name = "upload-" + i;
        }
        Path target = dir.resolve(String.format("%03d", i++)).resolve(name);
        Files.createDirectories(target.getParent());
        try (InputStream in = part.content()) {
          Files.copy(in, target);
        }
        files.add(target);
      }
    }

    @Override
    public void close() {
      try (var paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory: the OS cleans it eventually
      }
    }
  }

  private static Predicate<ImportedInvoice> mine(Tenant tenant) {
    return inv -> tenant.all() || tenant.taxIds().contains(inv.invoice().getSeller().getTaxId())
        || tenant.taxIds().contains(inv.invoice().getBuyer().getTaxId());
  }

  private void importFiles(Context ctx) throws Exception {
    Map<String, Object> body = importUpload(ctx, ApiSecurity.caller(ctx), wait(ctx));
    int published = (Integer) body.get("published");
    if (published > 0) {
      ctx.header("Location", "/api/v1/imports/" + body.get("id"));
    }
    ctx.status(published > 0 ? 201 : 200).json(body);
  }

  /**
   * Imports the request's {@code file} parts as {@code caller} may (only invoices where one of its
   * taxpayers is seller or buyer; limits checked before anything is sent) and waits up to
   * {@code waitSeconds} for the pipeline's decisions: the body of {@code POST /api/v1/imports}, which
   * the console's import page shows too.
   */
  public Map<String, Object> importUpload(Context ctx, Caller caller, int waitSeconds) throws Exception {
    if (producer == null) {
      throw new ProblemException(503, "Imports are off", "this API has no Kafka connection (bootstrap.servers) to send imported invoices to",
          List.of());
    }
    Predicate<ImportedInvoice> mine = mine(caller.tenant());
    try (Uploads uploads = new Uploads(ctx)) {
      // read once without sending: the limits and the caller's rights are checked before anything is imported
      int[] refused = {0};
      ImportRun.Report checked = new ImportRun(null, null, null, s -> { }).run(uploads.files, inv -> {
        boolean ok = mine.test(inv);
        refused[0] += ok ? 0 : 1;
        return ok;
      });
      if (checked.invoices() > maxRows) {
        throw new ProblemException(413, "Too many invoices", checked.invoices() + " invoices in the upload, more than api.import.max.rows ("
            + maxRows + "); split the export, or use 'invoice-sync import'", List.of());
      }
      ImportRun.Report report;
      if (checked.published() == 0 && refused[0] == checked.invoices() && checked.invoices() > 0) {
        report = checked; // nothing of the caller's to send
      } else {
        try (KnownInvoices known = new KnownInvoices(store)) {
          report = new ImportRun(producer.get(), topic, known::idOf, s -> { }).run(uploads.files, mine);
        }
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", report.id());
      body.put("files", report.files());
      body.put("invoices", checked.invoices());
      body.put("published", report.published());
      body.put("refused", refused[0]);
      if (refused[0] > 0) {
        body.put("refusedReason", "neither the seller nor the buyer is one of this token's taxpayers");
      }
      body.put("problems", report.problems().stream().map(ImportProblem::toJson).toList());
      body.put("unreadableFiles", report.failedFiles());
      if (report.published() > 0 && waitSeconds > 0) {
        ImportDecisions d = ImportDecisions.await(store, report.firstLsn(), report.lastLsn(), report.published(), caller.tenant(),
            Duration.ofSeconds(waitSeconds), s -> { });
        body.put("decisions", d.toJson());
      }
      return body;
    }
  }

  private void decided(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    long[] range;
    try {
      range = ImportDecisions.positions(id);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badParameter("id", id, e.getMessage());
    }
    ImportDecisions d = ImportDecisions.read(store, range[0], range[1], -1, ApiSecurity.caller(ctx).tenant());
    if (d.applied + d.deduplicated + d.rejected + d.awaiting == 0) {
      throw new ProblemException(404, "No such import", "no decision about an invoice of import " + id + " that this token may see: "
          + "the id is wrong, or the pipeline has not decided any yet", List.of());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", id);
    body.put("decisions", d.toJson());
    body.put("files", d.filesJson());
    ctx.json(body);
  }

  private void against(Context ctx) throws Exception {
    Tenant tenant = ApiSecurity.caller(ctx).tenant();
    LocalDate from = date(ctx, "from");
    LocalDate to = date(ctx, "to");
    String seller = param(ctx, "seller");
    String buyer = param(ctx, "buyer");
    try (Uploads uploads = new Uploads(ctx)) {
      List<AgainstExport.Listed> listed = new ArrayList<>();
      List<ImportProblem> problems = new ArrayList<>();
      List<String> unreadable = new ArrayList<>();
      for (Path file : uploads.files) {
        try {
          FileReaders.read(file, new ImportSink() {
            @Override
            public void invoice(ImportedInvoice inv) {
              if (listed.size() >= maxRows) {
                throw new ProblemException(413, "Too many invoices", "more than api.import.max.rows (" + maxRows + ") invoices in the "
                    + "upload; narrow the export or use 'invoice-sync reconcile --against'", List.of());
              }
              listed.add(AgainstExport.Listed.of(inv.invoice(), inv.where()));
            }

            @Override
            public void problem(ImportProblem p) {
              problems.add(p);
            }
          });
        } catch (io.invoicesync.imports.ImportFormatException e) {
          unreadable.add(e.getMessage());
        }
      }
      if (listed.isEmpty() && !unreadable.isEmpty()) {
        throw new ProblemException(422, "Unreadable export", String.join("; ", unreadable), List.of());
      }
      AgainstExport.Report report = new AgainstExport(store).reconcile(listed, new AgainstExport.Scope(from, to, seller, buyer,
          tenant.all() ? null : tenant.taxIds()), s -> { });
      Map<String, Object> body = report.toJson();
      body.put("unreadableRows", problems.stream().map(ImportProblem::toString).toList());
      body.put("unreadableFiles", unreadable);
      ctx.json(body);
    }
  }

  /** {@code wait}: seconds to wait for the pipeline's decisions, 0 to 300 (default 30). */
  private static int wait(Context ctx) {
    String v = param(ctx, "wait");
    try {
      int w = v == null ? 30 : Integer.parseInt(v);
      if (w < 0 || w > 300) {
        throw new NumberFormatException();
      }
      return w;
    } catch (NumberFormatException e) {
      throw ProblemException.badParameter("wait", v, "seconds from 0 to 300");
    }
  }

  private static String param(Context ctx, String name) {
    String v = ctx.queryParam(name);
    if (v == null) {
      v = ctx.formParam(name);
    }
    return v == null || v.isBlank() ? null : v.strip();
  }

  private static LocalDate date(Context ctx, String name) {
    String v = param(ctx, name);
    try {
      return v == null ? null : LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw ProblemException.badParameter(name, v, "not a date (yyyy-MM-dd)");
    }
  }
}
