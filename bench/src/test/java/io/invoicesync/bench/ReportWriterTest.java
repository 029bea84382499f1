package io.invoicesync.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

  private static LoadWindow window(int offered, double achieved, double p50, double p99, double first, double last) {
    return new LoadWindow(offered, achieved, offered, p50, p50 * 2, p99, first, last, Map.of("projector", 1.0), List.of("querystore: top"));
  }

  private static BenchReport report() {
    var capture = new CaptureStep.Result(2000, 900, Map.of("debezium", 0.2));
    var search = List.of(window(1600, 1500, 100, 300, 90, 110), window(2000, 1900, 120, 400, 100, 200), window(2400, 2000, 900, 5000, 200, 2000));
    var e2e = new EndToEndStep.Result(800, 1000, Map.of("projector", 3.0), List.of(window(200, 200, 50, 150, 50, 50),
        window(1000, 1000, 80, 450, 80, 85)), search, 12, new EndToEndStep.WarmBacklog(1500, 1200, Map.of("projector", 0.4)));
    var peer = new PeerStep.Result(200, 250, 800, 30, null, 700, Map.of("sink.properties", Map.of("insert.mode", "upsert")), null);
    var reconcile = new ReconcileStep.Result(1_000_000, 20, List.of(5.0, 4.0, 6.0), List.of(9.0, 8.0, 10.0),
        Map.of("MISSING", 40, "STALE", 50, "EXTRA", 10), 4096, 5000);
    return new BenchReport("quick", 10_000, 5, capture, e2e, new KafkaRoundTripStep.Result(50_000, 520), new UpsertStep.Result(5000), peer,
        reconcile, 100, 900, 360, "2 cores", Instant.parse("2026-11-27T00:00:00Z"));
  }

  @Test
  void sustainedIsTheHighestBoundedLoadAndTheRatiosDeriveFromBothSides() {
    BenchReport r = report();
    assertThat(r.e2e().sustained().offered()).isEqualTo(2000);
    assertThat(r.e2e().sustainedInvoicesPerS()).isEqualTo(1900);
    assertThat(r.e2eVsCapture()).isEqualTo(0.95);
    assertThat(r.e2eWarmBacklogVsCapture()).isEqualTo(0.75);
    assertThat(r.e2eVsPeer()).isEqualTo(4.0);
    assertThat(r.e2eVsPeerFromFirstVisible()).isEqualTo(4.0);
    assertThat(r.p99At(1000)).isEqualTo(450);
    assertThat(r.p99At(5000)).isNull();
    assertThat(r.reconcile().plantedMedianSeconds()).isEqualTo(9.0);
  }

  @Test
  void jsonKeepsTheKeysEarlierRunsUsedAndLeavesOutWhatWasNotMeasured() {
    JsonNode j = ReportWriter.json(report());
    assertThat(j.get("e2e_invoices_per_s").asDouble()).isEqualTo(1900);
    assertThat(j.get("p99_ms_at_1000").asDouble()).isEqualTo(450);
    assertThat(j.get("e2e_vs_capture").asDouble()).isEqualTo(0.95);
    assertThat(j.get("e2e_load_search")).hasSize(3);
    assertThat(j.get("e2e_load_search").get(2).get("bounded").asBoolean()).isFalse();
    assertThat(j.get("reconcile_1m_seconds").asDouble()).isEqualTo(9.0);
    assertThat(j.get("peer_config").get("sink.properties").get("insert.mode").asText()).isEqualTo("upsert");
    assertThat(j.has("peer_postgresql_cpu_seconds")).isFalse();
    assertThat(j.has("peer_incomplete")).isFalse();

    BenchReport partial = new BenchReport("full", 30_000, 5, null, null, null, new UpsertStep.Result(5000), null, null, 10, 500, 20, "2 cores",
        Instant.now());
    JsonNode p = ReportWriter.json(partial);
    assertThat(p.has("e2e_vs_capture")).isFalse();
    assertThat(p.has("e2e_invoices_per_s")).isFalse();
    assertThat(p.get("upsert_invoices_per_s").asDouble()).isEqualTo(5000);
  }

  @Test
  void writesMarkdownWithTargetsJsonAndAChart(@TempDir Path out) throws Exception {
    String md = ReportWriter.write(report(), out);
    assertThat(md).contains("| end to end >= 75% of the Debezium capture ceiling (sustained / warm capture) | 0.95 | met |",
        "| end to end >= 5x the peer (same backlog, both from a cold start) | 4.0 | MISSED |", "| 2400 | 2000.0 |", "insert.mode=upsert");
    assertThat(new ObjectMapper().readTree(out.resolve("latest.json").toFile()).get("mode").asText()).isEqualTo("quick");
    var png = ImageIO.read(out.resolve("latency.png").toFile());
    assertThat(png.getWidth()).isEqualTo(640);
    assertThat(png.getHeight()).isEqualTo(400);
    assertThat(Files.list(out).map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("latest.json", "latest.md", "latency.png");
  }
}
