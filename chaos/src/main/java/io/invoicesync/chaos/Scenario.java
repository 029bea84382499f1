package io.invoicesync.chaos;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The scenarios of issue 15 by id (for {@code --only}), with their rounds in the full and the quick suite. */
enum Scenario {
  KILL_PIPELINE("kill-pipeline", "kill -9 of the whole pipeline process, restarted on the same data", 20, 2, Layout.ONE_PROCESS),
  KILL_INGEST("kill-ingest", "kill -9 of the ingest process alone", 10, 2, Layout.SPLIT),
  KILL_STREAMS("kill-streams", "kill -9 of the sync-streams process alone", 10, 2, Layout.SPLIT),
  KILL_PROJECTOR("kill-projector", "kill -9 of the projector (and API) process alone", 10, 2, Layout.SPLIT),
  BROKER_BOUNCE("broker-bounce", "the broker stopped and started again", 5, 1, Layout.SPLIT),
  BROKER_LOSS_RF3("broker-loss-rf3", "a 3-broker cluster (RF=3, min.insync.replicas=2) losing one broker (60 s; 10 s quick; a "
      + "controlled shutdown of broker and controller) and getting it back", 1, 1, Layout.SPLIT_RF3),
  ISSUING_DB_OUTAGE("issuing-db-outage", "the issuing database stopped (60 s; 10 s quick)", 1, 1, Layout.SPLIT),
  STORE_OUTAGE("store-outage", "the query store stopped (60 s; 10 s quick)", 1, 1, Layout.SPLIT),
  STORE_READ_ONLY("store-read-only", "the query store switched to read-only (60 s; 10 s quick) and back", 1, 1, Layout.SPLIT),
  REGISTRY_OUTAGE("registry-outage", "the schema registry unavailable (where a registry is used)", 1, 1, null,
      "not applicable: this stack runs registry-less (no Apicurio Registry without a container engine here); sync-streams riding "
          + "out an outage is tested by RegistryOutageTopologyTest; ApicurioRegistryIT runs the pipeline on a real registry where Docker runs"),
  SLOT_DROPPED("slot-dropped", "the replication slot dropped while ingest is down (10 s; 5 s quick; invoices issued meanwhile)", 1, 1, Layout.SPLIT),
  SOURCE_RESTORED("source-restored", "the issuing database moved to a new cluster (WAL positions start again, below those seen), then "
      + "20 earlier invoices voided or red-flushed", 1, 1, Layout.SPLIT),
  POISON_HUGE_INVOICE("poison-huge-invoice", "one valid invoice with 60,000 lines (about 8 MB serialized) among the load", 1, 1,
      Layout.SPLIT),
  POISON_NULL("poison-null", "a NULL where the contract needs a value (issue date), 5 invoices among the load", 1, 1, Layout.SPLIT),
  POISON_COLUMN_RENAMED("poison-column-renamed", "a column the contract needs renamed (issue_date), 5 invoices issued so, renamed back",
      1, 1, Layout.SPLIT),
  TOAST_WIDE_ROWS("toast-wide-rows", "wide rows (long remarks and addresses, stored out of line) updated later without them", 3, 1,
      Layout.SPLIT),
  RETRY_RETENTION("retry-retention", "the retry topic's records expiring (retention) while 5 invoices wait on it", 1, 1, Layout.SPLIT),
  PROJECTOR_RESTART_PARKED("projector-restart-parked", "kill -9 of the projector while 5 invoices wait on the retry topic (the store "
      + "refuses their first version), a later version of each issued after the restart", 1, 1, Layout.SPLIT),
  WEBHOOK_RECEIVER_DOWN("webhook-receiver-down", "an ERP's webhook endpoint refusing connections (60 s; 10 s quick) while invoices keep "
      + "becoming visible, judged by what it got against the store", 3, 1, Layout.SPLIT_WEBHOOKS),
  KILL_WEBHOOKS("kill-webhooks", "kill -9 of the webhooks process under load, judged by what the ERP's endpoint got against the store",
      5, 2, Layout.SPLIT_WEBHOOKS);

  /**
   * How the pipeline runs for a scenario: one process, or ingest / streams / projector+api apart (on the 3-node cluster: SPLIT_RF3;
   * with a webhooks process and an ERP's endpoint: SPLIT_WEBHOOKS).
   */
  enum Layout { ONE_PROCESS, SPLIT, SPLIT_RF3, SPLIT_WEBHOOKS }

  final String id;
  final String description;
  final int fullRounds;
  final int quickRounds;
  /** Null: not built yet (reported as such, never as passed). */
  final Layout layout;

  /** Why a scenario without a layout is not run here; null: not built yet. */
  final String notRun;

  Scenario(String id, String description, int fullRounds, int quickRounds, Layout layout) {
    this(id, description, fullRounds, quickRounds, layout, null);
  }

  Scenario(String id, String description, int fullRounds, int quickRounds, Layout layout, String notRun) {
    this.id = id;
    this.description = description;
    this.fullRounds = fullRounds;
    this.quickRounds = quickRounds;
    this.layout = layout;
    this.notRun = notRun;
  }

  boolean implemented() {
    return layout != null;
  }

  /** Judged also by what an ERP's webhook endpoint got. */
  boolean webhooks() {
    return layout == Layout.SPLIT_WEBHOOKS;
  }

  static Map<String, Scenario> byId() {
    Map<String, Scenario> m = new LinkedHashMap<>();
    for (Scenario s : values()) {
      m.put(s.id, s);
    }
    return m;
  }

  /** The scenarios {@code --only} names (comma-separated ids), all when blank; an unknown id fails naming the known ones. */
  static List<Scenario> parse(String only) {
    if (only == null || only.isBlank()) {
      return List.of(values());
    }
    Map<String, Scenario> known = byId();
    return Arrays.stream(only.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(s -> {
      Scenario sc = known.get(s);
      if (sc == null) {
        throw new IllegalArgumentException("--only: unknown scenario '" + s + "'; known: " + String.join(", ", known.keySet()));
      }
      return sc;
    }).distinct().toList();
  }
}
