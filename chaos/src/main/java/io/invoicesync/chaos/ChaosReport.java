package io.invoicesync.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.invoicesync.testkit.GitState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** chaos/results/latest.{json,md}: per scenario the rounds, invoices issued, what was lost, duplicated or stale, recovery, passed. */
final class ChaosReport {

  private ChaosReport() {
  }

  /**
   * Where and how a suite ran: the tree it tried ({@code git rev-parse HEAD}, dirty or not) and
   * whether it ran to its end (an aborted suite writes what ran and says so).
   */
  record Run(boolean quick, Instant started, double seconds, String command, GitState git, String aborted) {
  }

  static Map<String, Object> json(List<ScenarioRunner.Result> results, Run run) {
    Map<String, Object> scenarios = new LinkedHashMap<>();
    for (ScenarioRunner.Result r : results) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("description", r.scenario().description);
      m.put("implemented", r.scenario().implemented());
      m.put("rounds", r.rounds());
      m.put("invoices_issued", r.issued());
      Judge.Verdict v = r.verdict();
      m.put("lost", v == null ? null : v.lost());
      m.put("duplicate_versions", v == null ? null : v.duplicateVersions());
      m.put("out_of_order", v == null ? null : v.outOfOrder());
      m.put("stale", v == null ? null : v.stale());
      m.put("extra", v == null ? null : v.extra());
      m.put("unavailable_placeholders", v == null ? null : v.placeholders());
      m.put("spurious_rejections", v == null ? null : v.spuriousRejections());
      m.put("invalid_not_rejected", v == null ? null : v.invalidNotRejected());
      m.put("rejected", v == null ? null : v.rejected());
      m.put("recovery_s", r.maxRecovery());
      m.put("recovery_s_each", r.recoverySeconds());
      m.put("recovery_waited_for_each", r.recoveryWaitedFor());
      m.put("restarts_after_exit", r.restartsAfterExit());
      m.put("seconds", Math.round(r.seconds() * 10) / 10.0);
      m.put("issued_during_faults", r.issuedDuringFaults());
      m.put("fault_took_effect_each", r.faultEffects());
      m.put("load_died", r.loadDied());
      m.put("passed", r.passed());
      m.put("failures", r.failures());
      m.put("note", r.note());
      m.put("examples", v == null ? List.of() : v.examples());
      scenarios.put(r.scenario().id, m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("command", run.command());
    out.put("quick", run.quick());
    out.put("started", run.started().toString());
    out.put("seconds", Math.round(run.seconds()));
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("commit", run.git().commit());
    out.put("dirty", run.git().dirty());
    out.put("changed", run.git().changed());
    out.put("aborted", run.aborted());
    out.put("scenarios", scenarios);
    return out;
  }

  static String markdown(List<ScenarioRunner.Result> results, Run run) {
    StringBuilder md = new StringBuilder();

    md.append("| scenario | rounds | issued | lost | duplicate versions | stale | spurious rejections | recovery s (max) | passed |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (ScenarioRunner.Result r : results) {
      Judge.Verdict v = r.verdict();
      md.append("| ").append(r.scenario().id).append(" | ");
      if (v == null) {
        md.append("| | | | | | | not run: ").append(r.note()).append(" |\n");
        continue;
      }
      md.append(r.rounds()).append(" | ").append(r.issued()).append(" | ").append(v.lost()).append(" | ").append(v.duplicateVersions() + v.outOfOrder())
          .append(" | ").append(v.stale() + v.extra() + v.placeholders()).append(" | ").append(v.spuriousRejections()).append(" | ")
          .append(r.maxRecovery() == null ? "" : String.format("%.1f", r.maxRecovery())).append(" | ")
          .append(Boolean.TRUE.equals(r.passed()) ? "yes" : "**no**: " + String.join("; ", r.failures()))
          .append(r.note().isEmpty() ? "" : " (" + r.note() + ")").append(" |\n");
    }
    md.append("\nCommit ").append(run.git().commit()).append(run.git().dirty() == null ? " (tree state unknown)"
        : run.git().dirty() ? " with uncommitted changes in the tree (" + String.join(", ", run.git().changed()) + ")" : ", clean tree")
        .append(".").append(run.aborted() == null ? "" : " **The suite was aborted** (" + run.aborted() + "): only what ran is above.")
        .append("\n");
    md.append("\n`").append(run.command()).append("`, ").append(run.quick() ? "quick" : "full").append(" suite, started ").append(run.started())
        .append(", ").append(Math.round(run.seconds())).append(" s on ").append(Runtime.getRuntime().availableProcessors()).append(" cores. ")
        .append("Lost = not visible at the end (MISSING, still in flight after the drain, or a valid invoice dead-lettered); ")
        .append("duplicate versions = a version on invoices.synced twice or out of order; stale = visible at an older state than the ")
        .append("source (or in the store only, or holding Debezium's unavailable-value placeholder); recovery = fault end until the pipeline's lag is back under 1 s, the first fault injected once the pipeline is warm (`recovery_waited_for_each`: per round, the invoice it waited for longest and where its time went) (every invoice created more than 1 s ago decided: visible, rejected or dead-lettered; and one created after the fault ended decided too). A scenario also fails when no invoice was issued during its faults, when a fault was not seen to take effect (the slot gone, a server refusing connections, a broker down, a killed process gone, Debezium's TOAST placeholder on invoices.captured, the poison invoices committed as broken, the 60,000 lines committed, the issuing cluster replaced at a lower WAL position, the held invoices retried: `fault_took_effect_each`), when the load generator died, or when an invoice the generator broke on purpose did not end rejected with that rule's code (`invalid_not_rejected`).\n");
    for (ScenarioRunner.Result r : results) {
      if (r.verdict() != null && !r.verdict().examples().isEmpty()) {
        md.append("\n").append(r.scenario().id).append(": ").append(String.join("; ", r.verdict().examples())).append("\n");
      }
    }
    return md.toString();
  }

  static void write(Path dir, List<ScenarioRunner.Result> results, Run run) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("latest.md"), markdown(results, run));
    Files.writeString(dir.resolve("latest.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValueAsString(json(results, run)) + "\n");
  }
}
