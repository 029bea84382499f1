package io.invoicesync.chaos;

import io.invoicesync.generator.IssuingDay;
import io.invoicesync.schemas.AuditEvent;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.KafkaTestSupport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** The faults on the projector's retry path: invoices held on the retry topic, the projector restarted or the retry records expired meanwhile. */
final class ParkedRetryFaults {

  private final Stack stack;
  private final boolean quick;
  private final Consumer<String> out;
  /** What went wrong in a scenario's own checks (order, attempt counts), beyond what the judge sees; taken by {@link #takeViolations}. */
  private final List<String> orderViolations = new ArrayList<>();

  ParkedRetryFaults(Stack stack, boolean quick, Consumer<String> out) {
    this.stack = stack;
    this.quick = quick;
    this.out = out;
  }

  /** The violations the scenario's own checks found since the last call, to add to the judge's verdict. */
  List<String> takeViolations() {
    List<String> found = List.copyOf(orderViolations);
    orderViolations.clear();
    return found;
  }

  /**
   * The query store refuses the first (ISSUED) state of 5 invoices for a while, as a lock held by
   * someone else would (a trigger raises: a record-specific transient failure), so they wait on the
   * retry topic, retried with back-off; the projector is killed and restarted meanwhile, and each
   * invoice is then red-flushed in the source. Each must end visible at its latest state, with its
   * versions projected in order (never the red-flushed one before the issued one) and its attempt
   * count going on from where it was (not starting again at 1 after the restart).
   */
  boolean restartWhileParked(Load load, PipelineProcess projector) throws Exception {
    List<String> ids = holdFirstVersions(load, "parked");
    boolean parked = lastHoldParked;
    projector.restart(Duration.ofMinutes(3));
    try (Connection c = stack.issuingDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("UPDATE issuing.invoice SET status = 'PARTIALLY_RED_FLUSHED' WHERE id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      ps.executeUpdate();
    }
    Thread.sleep(quick ? 5_000 : 10_000); // the held versions keep being retried after the restart
    releaseHeld();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline && !ProjectionOrderCheck.everyHas(projectionDecisions(ids), ids, d -> d.is(AuditEvent.PROJECTED, 2))) {
      Thread.sleep(500); // until the later versions are visible
    }
    checkOrderAndAttempts(ids);
    return parked;
  }

  /**
   * 5 invoices wait on the retry topic (their first version refused by the store), and the retry
   * topic's records expire (retention; here deleted up to the end, as the retention would) before
   * they are settled. Each must still end visible: nothing on the retry topic may be its only copy.
   */
  boolean expireWhileParked(Load load) throws Exception {
    holdFirstVersions(load, "expired");
    boolean parked = lastHoldParked;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrap()))) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < Topics.SYNCED_RETRY.partitions(); p++) {
        latest.put(new TopicPartition(Topics.SYNCED_RETRY.name(), p), OffsetSpec.latest());
      }
      Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((tp, o) -> delete.put(tp, RecordsToDelete.beforeOffset(o.offset())));
      admin.deleteRecords(delete).all().get();
    }
    out.accept("expired every record of " + Topics.SYNCED_RETRY.name());
    releaseHeld();
    return parked;
  }

  /**
   * Whether the last {@link #holdFirstVersions} took effect: every held invoice was refused by the
   * store and retried (it waited on the retry topic) within the two minutes allowed.
   */
  private boolean lastHoldParked;

  /**
   * The store refuses the first (ISSUED) state of 5 new invoices (a trigger raises: a record-specific
   * transient failure), until {@link #releaseHeld}; returns their ids once each waits on the retry topic.
   */
  private List<String> holdFirstVersions(Load load, String name) throws Exception {
    try (Connection c = stack.storeDataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS chaos_block (id text PRIMARY KEY)");
      st.execute("CREATE OR REPLACE FUNCTION chaos_block() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.status = 'ISSUED' AND EXISTS "
          + "(SELECT 1 FROM chaos_block b WHERE b.id = NEW.id) THEN RAISE EXCEPTION 'chaos: invoice % is held', NEW.id; END IF; "
          + "RETURN NEW; END $$");
      st.execute("DROP TRIGGER IF EXISTS chaos_block ON invoice");
      st.execute("CREATE TRIGGER chaos_block BEFORE INSERT OR UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION chaos_block()");
    }
    long serial = System.currentTimeMillis() % 1_000_000_000L;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add("chaos-" + name + "-" + serial + "-" + i);
    }
    try (Connection c = stack.storeDataSource().getConnection();
         PreparedStatement ps = c.prepareStatement("INSERT INTO chaos_block (id) SELECT unnest(?::text[])")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      ps.executeUpdate();
    }
    LocalDate today = IssuingDay.today();
    try (Connection c = stack.issuingDataSource().getConnection()) {
      for (int i = 0; i < ids.size(); i++) {
        String number = IssuingDay.digitalNumber(serial * 100 + 90 + i);
        DataFaults.issueInvoice(c, ids.get(i), number, today, null, null, null);
        load.issuedValid(ids.get(i), "DIGITAL_GENERAL", number);
      }
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline && !ProjectionOrderCheck.everyHas(projectionDecisions(ids), ids, d -> d.event() == AuditEvent.RETRIED)) {
      Thread.sleep(500); // until every one has failed once and waits on the retry topic
    }
    lastHoldParked = ProjectionOrderCheck.everyHas(projectionDecisions(ids), ids, d -> d.event() == AuditEvent.RETRIED);
    if (!lastHoldParked) {
      out.accept(name + ": not every held invoice was refused and retried within two minutes");
    }
    return ids;
  }

  private void releaseHeld() throws SQLException {
    try (Connection c = stack.storeDataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("DROP TRIGGER chaos_block ON invoice");
      st.execute("DELETE FROM chaos_block");
    }
  }

  /** Versions projected in order, retry attempts counted on (a scenario's own checks, added to the judge's). */
  private void checkOrderAndAttempts(List<String> ids) {
    Map<String, List<ProjectorDecision>> decisions = projectionDecisions(ids);
    decisions.forEach((id, d) -> out.accept("  " + id + ": " + ProjectionOrderCheck.describe(d)));
    orderViolations.addAll(ProjectionOrderCheck.violations(decisions));
  }

  /** Per invoice of {@code ids} (sorted by id), the projector's decisions in order, from invoices.projection. */
  private Map<String, List<ProjectorDecision>> projectionDecisions(List<String> ids) {
    Map<String, List<ProjectorDecision>> decisions = new TreeMap<>();
    SerdeFactory serdes = SerdeFactory.registryLess();
    for (ConsumerRecord<String, ProjectionEvent> r : KafkaTestSupport.readToEnd(stack.bootstrap(), Topics.PROJECTION.name(),
        serdes.keySerde().deserializer(), serdes.valueSerde(ProjectionEvent.class).deserializer())) {
      if (ids.contains(r.key())) {
        ProjectorDecision.of(r.value()).ifPresent(d -> decisions.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(d));
      }
    }
    return decisions;
  }
}
