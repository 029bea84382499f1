package io.invoicesync.cli.webhooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;
import io.invoicesync.cli.internal.OutputOption;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.webhooks.Endpoint;
import io.invoicesync.webhooks.Endpoints;
import io.invoicesync.webhooks.Messages;
import io.invoicesync.webhooks.WebhooksConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync webhooks}: operators' view of the webhook endpoints, on the query store named by
 * a run's configuration (every taxpayer's endpoints: the store itself, not a token, is the credential).
 */
@Command(name = "webhooks", mixinStandardHelpOptions = true,
    description = {"Webhook endpoints and their deliveries: list, add, deliveries, resend, recover, rotate-secret, remove.",
        "ERPs register their own endpoints through the API (POST /api/v1/webhooks/endpoints, scope 'webhooks')."},
    subcommands = {WebhooksCommand.ListCommand.class, WebhooksCommand.AddCommand.class, WebhooksCommand.DeliveriesCommand.class,
        WebhooksCommand.ResendCommand.class, WebhooksCommand.RecoverCommand.class, WebhooksCommand.RotateCommand.class,
        WebhooksCommand.RemoveCommand.class})
public final class WebhooksCommand {

  static final ObjectMapper JSON = new ObjectMapper();

  /** What every subcommand shares: the configuration and the output format. */
  abstract static class Base implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "A 'run' configuration: the query store from webhooks.jdbc.* (or projector.jdbc.*, "
        + "api.jdbc.*).")
    Path config;

    @Mixin
    OutputOption output;

    RunConfig run;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    @Override
    public Integer call() throws Exception {
      run = RunConfig.load(config);
      DataSource store = run.webhookStore();
      return run(new Endpoints(store), new Messages(store));
    }

    abstract Integer run(Endpoints endpoints, Messages messages) throws Exception;

    void json(Object o) throws Exception {
      out().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    Endpoint endpoint(Endpoints endpoints, String id) throws Exception {
      return endpoints.find(Tenant.ALL, id).orElseThrow(() -> new IllegalArgumentException("no webhook endpoint " + id));
    }

    /** An endpoint we post to: a feed is read again from an earlier cursor instead. */
    Endpoint pushEndpoint(Endpoints endpoints, String id) throws Exception {
      Endpoint e = endpoint(endpoints, id);
      if (e.pull()) {
        throw new IllegalArgumentException("endpoint " + id + " is a feed: its reader asks GET /api/v1/events again from an earlier cursor");
      }
      return e;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Every endpoint with its state and backlog.")
  static final class ListCommand extends Base {
    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      List<Endpoint> all = endpoints.list(Tenant.ALL);
      Map<String, Messages.Backlog> backlog = new LinkedHashMap<>();
      messages.backlog().forEach(b -> backlog.put(b.endpointId(), b));
      if (output.json()) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (Endpoint e : all) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("endpoint", e.view());
          Messages.Backlog b = backlog.get(e.id());
          m.put("pending", b == null ? 0 : b.pending());
          m.put("oldestPendingSeconds", b == null ? 0 : b.oldest().toSeconds());
          items.add(m);
        }
        json(Map.of("items", items));
        return 0;
      }
      out().println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, all, List.of(
          new Column().header("id").dataAlign(HorizontalAlign.LEFT).with(Endpoint::id),
          new Column().header("url").dataAlign(HorizontalAlign.LEFT).maxWidth(50).with(e -> e.pull() ? "(feed: GET /api/v1/events)" : e.url()),
          new Column().header("events").dataAlign(HorizontalAlign.LEFT).with(e -> e.events().isEmpty() ? "(all)" : String.join(",", e.events())),
          new Column().header("taxpayers").dataAlign(HorizontalAlign.LEFT).with(e -> e.taxIds() == null ? "(all)" : e.taxIds().size() + ""),
          new Column().header("state").dataAlign(HorizontalAlign.LEFT).maxWidth(40)
              .with(e -> e.enabled() ? (e.failingSince() == null ? "enabled" : "failing since " + e.failingSince()) : "DISABLED: " + e.disabledReason()),
          new Column().header("pending").with(e -> backlog.containsKey(e.id()) ? Long.toString(backlog.get(e.id()).pending()) : "0"),
          new Column().header("oldest").with(e -> backlog.containsKey(e.id()) && backlog.get(e.id()).pending() > 0
              ? backlog.get(e.id()).oldest().toSeconds() + " s" : "-"))));
      return 0;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Register an endpoint for every taxpayer (an operator's); prints its secret once.")
  static final class AddCommand extends Base {
    @Parameters(index = "0", paramLabel = "URL", description = "Where to POST (https://; http:// only with webhooks.allow.http=true).")
    String url;

    @Option(names = "--events", split = ",", description = "Event types (default: all): invoice.visible, invoice.rejected, ...")
    List<String> events = List.of();

    @Option(names = "--seller", description = "Only invoices of this seller.")
    String seller;

    @Option(names = "--buyer", description = "Only invoices of this buyer.")
    String buyer;

    @Option(names = "--description", description = "A note for people.")
    String description;

    @Option(names = "--signature", defaultValue = "v1", description = "v1 (HMAC-SHA256, a shared whsec_ secret; the default) or v1a "
        + "(Ed25519: the receiver verifies with the public key printed, no secret is shared).")
    String signature;

    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      if (!signature.equals("v1") && !signature.equals("v1a")) {
        spec.commandLine().getErr().println("webhooks add: --signature must be v1 or v1a, not " + signature);
        return 2;
      }
      boolean allowHttp = WebhooksConfig.apiSettings(run.values()).allowHttp();
      // the operator's own endpoint: an ERP on the internal network is fine
      Endpoint e = endpoints.create(Tenant.ALL, new Endpoints.Spec(url, description, events, seller, buyer, null), allowHttp, true,
          signature.equals("v1a"));
      String publicKey = io.invoicesync.webhooks.Signatures.publicKey(e.secret());
      if (output.json()) {
        json(publicKey == null ? Map.of("id", e.id(), "secret", e.secret()) : Map.of("id", e.id(), "publicKey", publicKey));
      } else if (publicKey == null) {
        out().println("endpoint " + e.id() + " registered; its signing secret (shown once):");
        out().println(e.secret());
      } else {
        out().println("endpoint " + e.id() + " registered, signing v1a (Ed25519); the public key the receiver verifies with:");
        out().println(publicKey);
      }
      return 0;
    }
  }

  @Command(name = "deliveries", mixinStandardHelpOptions = true, description = "An endpoint's messages, newest first: status, attempts, last answer.")
  static final class DeliveriesCommand extends Base {
    @Parameters(index = "0", paramLabel = "ENDPOINT")
    String id;

    @Option(names = "--status", description = "PENDING, DELIVERED or FAILED.")
    String status;

    @Option(names = "--invoice", description = "Only messages about this invoice id.")
    String invoice;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      Endpoint e = endpoint(endpoints, id);
      List<Messages.Delivery> ds = messages.list(e.id(), status, invoice, null, limit);
      if (output.json()) {
        json(Map.of("endpoint", e.id(), "items", ds.stream().map(Messages.Delivery::view).toList()));
        return 0;
      }
      out().println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, ds, List.of(
          new Column().header("message").dataAlign(HorizontalAlign.LEFT).with(Messages.Delivery::id),
          new Column().header("event").dataAlign(HorizontalAlign.LEFT).with(Messages.Delivery::type),
          new Column().header("invoice").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.invoiceId())),
          new Column().header("v").with(d -> str(d.version())),
          new Column().header("status").dataAlign(HorizontalAlign.LEFT).with(Messages.Delivery::status),
          new Column().header("attempts").with(d -> Integer.toString(d.attempts())),
          new Column().header("last").with(d -> str(d.lastStatus())),
          new Column().header("last at").with(d -> str(d.lastAttemptAt())),
          new Column().header("error").dataAlign(HorizontalAlign.LEFT).maxWidth(40).with(d -> str(d.lastError())))));
      return 0;
    }
  }

  @Command(name = "resend", mixinStandardHelpOptions = true, description = "Send one message again (same webhook-id, same body).")
  static final class ResendCommand extends Base {
    @Parameters(index = "0", paramLabel = "ENDPOINT")
    String id;

    @Parameters(index = "1", paramLabel = "MESSAGE")
    String message;

    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      Endpoint e = pushEndpoint(endpoints, id);
      if (!messages.resend(e.id(), message)) {
        throw new IllegalArgumentException("endpoint " + e.id() + " has no message " + message);
      }
      out().println(output.json() ? JSON.writeValueAsString(Map.of("id", message, "status", "PENDING")) : "message " + message + " is due again");
      return 0;
    }
  }

  @Command(name = "recover", mixinStandardHelpOptions = true,
      description = "Enable the endpoint again and send, in order, what did not arrive since TIME (and before --until).")
  static final class RecoverCommand extends Base {
    @Parameters(index = "0", paramLabel = "ENDPOINT")
    String id;

    @Option(names = "--since", required = true, description = "An ISO instant (2026-12-06T08:00:00Z) or an age (30m, 2h, 7d).")
    String since;

    @Option(names = "--until", description = "An ISO instant or an age; default now.")
    String until;

    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      Endpoint e = pushEndpoint(endpoints, id);
      boolean reenabled = !e.enabled() && endpoints.enable(Tenant.ALL, e.id());
      int n = messages.recover(e.id(), time("--since", since), until == null ? null : time("--until", until));
      if (output.json()) {
        json(Map.of("id", e.id(), "requeued", n, "reenabled", reenabled));
      } else {
        out().println((reenabled ? "endpoint " + e.id() + " enabled again; " : "") + n + " message(s) due again, in their order");
      }
      return 0;
    }
  }

  @Command(name = "rotate-secret", mixinStandardHelpOptions = true,
      description = "A new signing secret (printed once); the old one keeps signing for webhooks.secret.rotation.overlap.ms.")
  static final class RotateCommand extends Base {
    @Parameters(index = "0", paramLabel = "ENDPOINT")
    String id;

    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      Duration overlap = WebhooksConfig.apiSettings(run.values()).rotationOverlap();
      Endpoint e = endpoints.rotate(Tenant.ALL, id, overlap).orElseThrow(() -> new IllegalArgumentException("no webhook endpoint " + id));
      if (output.json()) {
        json(Map.of("id", e.id(), "secret", e.secret(), "previousSecretValidUntil", String.valueOf(e.previousSecretUntil())));
      } else {
        out().println("new secret of " + e.id() + " (the previous one signs too until " + e.previousSecretUntil() + "):");
        out().println(e.secret());
      }
      return 0;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Delete an endpoint and its delivery history.")
  static final class RemoveCommand extends Base {
    @Parameters(index = "0", paramLabel = "ENDPOINT")
    String id;

    @Override
    Integer run(Endpoints endpoints, Messages messages) throws Exception {
      if (!endpoints.delete(Tenant.ALL, id)) {
        throw new IllegalArgumentException("no webhook endpoint " + id);
      }
      out().println(output.json() ? JSON.writeValueAsString(Map.of("id", id, "removed", true)) : "endpoint " + id + " removed");
      return 0;
    }
  }

  /** An ISO instant, or an age before now (30m, 2h, 7d): the one parser of dlt's --since. */
  static Instant time(String option, String v) {
    return io.invoicesync.cli.internal.Times.instantOrAge(option, v);
  }

  private static String str(Object o) {
    return o == null ? "-" : o.toString();
  }
}
