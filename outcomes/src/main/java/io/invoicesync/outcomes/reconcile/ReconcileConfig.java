package io.invoicesync.outcomes.reconcile;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Scheduled reconciliation in {@code run} and {@code demo} (keys under {@code reconcile.}); validated at start-up. */
public final class ReconcileConfig extends AbstractConfig {

  public static final String INTERVAL_MS = "interval.ms";
  /** The name issue 11 gives the key: a duration, e.g. 300s, 5m, 1h (or milliseconds); wins over interval.ms. */
  public static final String INTERVAL = "interval";
  public static final String GRACE_SECONDS = "grace.seconds";
  public static final String HASH = "hash";
  public static final String MAX_DIFFERENCES_KEPT = "report.max.differences";
  public static final String AUTO_REPAIR_MAX = "auto.repair.max";
  public static final String AUTO_REPAIR_TIMEOUT_MS = "auto.repair.timeout.ms";
  public static final String AUTO_REPAIR_RESIGNAL_MS = "auto.repair.resignal.ms";

  private static final ConfigDef DEF = new ConfigDef()
      .define(INTERVAL_MS, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
          "How often the process running the projector reconciles the issuing database with the query store (the issuing database "
              + "from ingest.database.* or api.source.jdbc.*, the store from projector.jdbc.*). 0 = never (the default). Each run is "
              + "recorded in the store (GET /api/v1/reconcile/last) and sets invoicesync_reconcile_missing, _stale, _extra and "
              + "_last_run_seconds. Enable it on one projector instance.")
      .define(INTERVAL, Type.STRING, "", Importance.MEDIUM,
          "The same as interval.ms, as a duration: 300s, 5m, 1h, or plain milliseconds. Empty = interval.ms decides.")
      .define(GRACE_SECONDS, Type.LONG, 60L, Range.atLeast(0), Importance.LOW,
          "Seconds after its commit an undecided change counts as IN_FLIGHT rather than MISSING.")
      .define(HASH, Type.STRING, "auto", ValidString.in("auto", "native", "md5"), Importance.LOW,
          "How the databases hash buckets and contents: auto (PostgreSQL's own functions when both agree, else md5), native or md5.")
      .define(AUTO_REPAIR_MAX, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
          "Repair up to this many MISSING and STALE invoices per scheduled run through the source (as 'resync': an incremental "
              + "snapshot via ingest's signal table, ingest.source.signal.table), then reconcile again. 0 = report only (the default). "
              + "A run with more alarms than this repairs none of them and only reports: a mass difference wants an operator.")
      .define(AUTO_REPAIR_TIMEOUT_MS, Type.LONG, 300_000L, Range.atLeast(1_000), Importance.LOW,
          "How long an automatic repair waits for its re-reads to be decided.")
      .define(AUTO_REPAIR_RESIGNAL_MS, Type.LONG, 60_000L, Range.atLeast(1_000), Importance.LOW,
          "An automatic repair whose re-reads are not all decided this long after its signal signals those again (until "
              + "auto.repair.timeout.ms): an incremental snapshot that was skipped or cut short (a connector restart, or Debezium "
              + "3.x skipping a read-only snapshot's table on an error) is asked for again instead of waiting out the timeout.")
      .define(MAX_DIFFERENCES_KEPT, Type.INT, 1000, Range.atLeast(0), Importance.LOW,
          "Differences kept in a recorded report (alarms first); the counts always cover all.");

  public ReconcileConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
    intervalMs(); // fail at start-up, naming the key, when the duration is not one
  }

  /** How often to reconcile, in milliseconds; 0 = never. */
  public long intervalMs() {
    String v = getString(INTERVAL).trim();
    if (v.isEmpty()) {
      return getLong(INTERVAL_MS);
    }
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(v);
    if (!m.matches()) {
      throw new ConfigException("reconcile." + INTERVAL, v, "not a duration: use e.g. 300s, 5m, 1h or milliseconds");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "ms" : m.group(2)) {
      case "s" -> n * 1000;
      case "m" -> n * 60_000;
      case "h" -> n * 3_600_000;
      default -> n;
    };
  }

  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }
}
