package io.invoicesync.outcomes.recorder;

import io.invoicesync.outcomes.audit.AuditAnchor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The anchors' file sink ({@code audit.anchor.dir}): each checkpoint appended as one JSON line to
 * {@code anchors-YYYY-MM.jsonl} (its month, UTC) and forced to disk, for storage that keeps what was
 * written (WORM, object lock). Only appended to, never rewritten; a line may repeat after a crash
 * (verify reads each coordinate once).
 */
final class AnchorFiles {

  private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

  private final Path dir;

  AnchorFiles(Path dir) {
    this.dir = dir;
  }

  void append(List<OutcomeStore.AnchorRecord> anchors) {
    Map<Path, StringBuilder> byFile = new LinkedHashMap<>();
    for (OutcomeStore.AnchorRecord a : anchors) {
      Path f = dir.resolve("anchors-" + MONTH.format(a.checkpoint().getCheckpointAt()) + ".jsonl");
      byFile.computeIfAbsent(f, k -> new StringBuilder()).append(new AuditAnchor(a.partition(), a.offset(), a.checkpoint(), null).toJsonLine())
          .append('\n');
    }
    try {
      Files.createDirectories(dir);
      for (Map.Entry<Path, StringBuilder> e : byFile.entrySet()) {
        try (FileChannel ch = FileChannel.open(e.getKey(), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
          ch.write(ByteBuffer.wrap(e.getValue().toString().getBytes(StandardCharsets.UTF_8)));
          ch.force(true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append the audit anchors to " + dir + " (audit.anchor.dir)", e);
    }
  }
}
