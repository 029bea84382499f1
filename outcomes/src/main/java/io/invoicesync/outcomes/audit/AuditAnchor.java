package io.invoicesync.outcomes.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.schemas.AuditCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * An audit checkpoint anchored outside Kafka: the checkpoint as sync-streams signed it and where it
 * sat on the checkpoint topic. The outcome recorder writes each into the query store's append-only
 * {@code audit_anchor} table and, optionally, as one JSON line into a directory of files;
 * {@code audit verify --store / --anchors} reads them back and compares the topics against them.
 *
 * @param checkpointPartition the checkpoint record's partition on the checkpoint topic
 * @param checkpointOffset    its offset there
 * @param source              where this anchor was read (a file and line, or the table), for reports
 */
public record AuditAnchor(int checkpointPartition, long checkpointOffset, AuditCheckpoint checkpoint, String source) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One JSON line: the coordinates and every field of the checkpoint (times in epoch milliseconds). */
  public String toJsonLine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("checkpointPartition", checkpointPartition);
    m.put("checkpointOffset", checkpointOffset);
    m.put("partition", checkpoint.getPartition());
    m.put("partitions", checkpoint.getPartitions());
    m.put("checkpointAt", checkpoint.getCheckpointAt().toEpochMilli());
    m.put("chains", checkpoint.getChains());
    m.put("root", checkpoint.getRoot());
    m.put("keyId", checkpoint.getKeyId());
    m.put("mac", checkpoint.getMac());
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The anchors of a file, or of every {@code *.jsonl} file of a directory; a line that is not an anchor is an error naming it. */
  public static List<AuditAnchor> read(Path fileOrDir) throws IOException {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(fileOrDir)) {
      try (Stream<Path> s = Files.list(fileOrDir)) {
        s.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().forEach(files::add);
      }
    } else {
      files.add(fileOrDir);
    }
    List<AuditAnchor> out = new ArrayList<>();
    for (Path f : files) {
      int n = 0;
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode j = JSON.readTree(line);
          AuditCheckpoint cp = AuditCheckpoint.newBuilder().setPartition(j.get("partition").asInt()).setPartitions(j.get("partitions").asInt())
              .setCheckpointAt(Instant.ofEpochMilli(j.get("checkpointAt").asLong())).setChains(j.get("chains").asLong())
              .setRoot(j.get("root").asText()).setKeyId(text(j, "keyId")).setMac(text(j, "mac")).build();
          out.add(new AuditAnchor(j.get("checkpointPartition").asInt(), j.get("checkpointOffset").asLong(), cp, f.getFileName() + ":" + n));
        } catch (IOException | RuntimeException e) {
          throw new IOException(f + " line " + n + " is not an audit anchor: " + e.getMessage(), e);
        }
      }
    }
    return out;
  }

  /** Every anchor of the query store's {@code audit_anchor} table. */
  public static List<AuditAnchor> read(DataSource store) throws SQLException {
    List<AuditAnchor> out = new ArrayList<>();
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_anchor ORDER BY checkpoint_partition, checkpoint_offset");
         ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        AuditCheckpoint cp = AuditCheckpoint.newBuilder().setPartition(rs.getInt("input_partition")).setPartitions(rs.getInt("partitions"))
            .setCheckpointAt(Instant.ofEpochMilli(rs.getLong("checkpoint_at_ms"))).setChains(rs.getLong("chains"))
            .setRoot(rs.getString("root")).setKeyId(rs.getString("key_id")).setMac(rs.getString("mac")).build();
        out.add(new AuditAnchor(rs.getInt("checkpoint_partition"), rs.getLong("checkpoint_offset"), cp, "audit_anchor"));
      }
    }
    return out;
  }

  private static String text(JsonNode j, String field) {
    return j.get(field) == null || j.get(field).isNull() ? null : j.get(field).asText();
  }
}
