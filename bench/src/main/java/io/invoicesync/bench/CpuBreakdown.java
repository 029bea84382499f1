package io.invoicesync.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where the CPU went during a measured interval: this JVM's threads grouped by pipeline stage (by
 * thread name), plus the PostgreSQL server's processes (postmaster and its children, including
 * reaped ones through the postmaster's cumulative child time). The bottleneck analysis of issue 6
 * reads from this, next to a JFR profile.
 */
final class CpuBreakdown {

  private static final long CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

  static final String GENERATOR = "generator (the issuing platform's load)";
  static final String BENCH_MAIN = "the bench itself (main thread)";
  static final String BENCH_RECEIVER = "the bench itself (its webhook receiver)";
  static final String BENCH_ADMIN = "the bench itself (its Kafka admin client)";
  static final String TOTAL_JVM = "total_jvm";
  static final String POSTGRESQL = "postgresql";
  static final String PG_PREFIX = "postgresql: ";
  static final String PG_ISSUING = "backends of database issuing";
  static final String PG_POSTGRES = "backends of database postgres";
  static final String PG_BENCH = "the bench's own queries (its polling connection)";
  /** The Kafka client id of the bench's own admin client, so that its thread is booked to the bench. */
  static final String BENCH_CLIENT_ID = "invoice-sync-bench";

  /**
   * What is not the pipeline's own CPU in a window (issue 23's {@code cpu_ms_per_invoice_pipeline}):
   * the load generator and the bench's own threads in this JVM; the issuing database's backends (the
   * inserts), the bench's queries (on the {@code postgres} database and its polling connection).
   */
  static final Set<String> NOT_PIPELINE_JVM = Set.of(GENERATOR, BENCH_MAIN, BENCH_ADMIN, BENCH_RECEIVER);
  static final Set<String> NOT_PIPELINE_PG = Set.of(PG_ISSUING, PG_POSTGRES, PG_BENCH);

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> threadStart = new HashMap<>();
  private final Map<Long, String> threadNames = new HashMap<>();
  private final long pgPid;
  private final Map<String, Long> pgStart;
  private final long processStart;
  private final Map<String, Long> nativeStart;
  private final Set<Long> benchPids;
  private Map<String, Double> raw = Map.of();

  private CpuBreakdown(long pgPid, Set<Long> benchPids) {
    this.pgPid = pgPid;
    this.benchPids = Set.copyOf(benchPids);
    for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
      threadStart.put(t.getThreadId(), Math.max(0, threads.getThreadCpuTime(t.getThreadId())));
    }
    this.pgStart = pgTicks();
    this.processStart = processCpuNanos();
    this.nativeStart = nativeTicks();
  }

  /** CPU ticks of the JVM's own threads, which ThreadMXBean does not show: JIT compilers and GC. */
  private static Map<String, Long> nativeTicks() {
    Map<String, Long> m = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String comm;
        try {
          comm = Files.readString(t.resolve("comm")).trim();
        } catch (IOException e) {
          continue;
        }
        String kind = comm.contains("CompilerThre") ? "jvm JIT compiler" : comm.startsWith("GC Thread") || comm.startsWith("G1 ")
            || comm.equals("VM Thread") ? "jvm GC" : null;
        if (kind != null) {
          String[] f = statFields(t.resolve("stat"));
          if (f != null) {
            m.merge(kind, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
          }
        }
      }
    } catch (IOException e) {
      return m;
    }
    return m;
  }

  /** Starts measuring; {@code pgDataDir} holds {@code postmaster.pid}. */
  static CpuBreakdown start(Path pgDataDir) {
    return start(pgDataDir, Set.of());
  }

  /**
   * As {@link #start(Path)}; the PostgreSQL backends {@code benchPids} (the bench's own polling
   * connection) are booked to {@value #PG_BENCH}, not to the database they query.
   */
  static CpuBreakdown start(Path pgDataDir, Set<Long> benchPids) {
    long pid = -1;
    try {
      pid = Long.parseLong(Files.readAllLines(pgDataDir.resolve("postmaster.pid")).get(0).trim());
    } catch (IOException | RuntimeException e) {
      // no PostgreSQL figure then; the JVM's still counts
    }
    return new CpuBreakdown(pid, benchPids);
  }

  /** CPU seconds per stage since {@link #start}, highest first, with {@code total_jvm} and {@code postgresql}. */
  Map<String, Double> stop() {
    Map<String, Double> byStage = new TreeMap<>();
    for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
      long now = threads.getThreadCpuTime(t.getThreadId());
      if (now < 0) {
        continue;
      }
      long used = now - threadStart.getOrDefault(t.getThreadId(), 0L);
      byStage.merge(stage(t.getThreadName()), used / 1e9, Double::sum);
    }
    nativeTicks().forEach((kind, ticks) -> byStage.put(kind, (ticks - nativeStart.getOrDefault(kind, 0L)) / (double) CLOCK_TICKS_PER_S));
    double jvm = (processCpuNanos() - processStart) / 1e9;
    double threadsSum = byStage.values().stream().mapToDouble(Double::doubleValue).sum();
    byStage.put("jvm (ended threads)", Math.max(0, jvm - threadsSum));
    Map<String, Double> unrounded = new LinkedHashMap<>(byStage);
    unrounded.put(TOTAL_JVM, jvm);
    Map<String, Double> out = new LinkedHashMap<>();
    byStage.entrySet().stream().filter(e -> e.getValue() >= 0.05).sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> out.put(e.getKey(), round(e.getValue())));
    out.put(TOTAL_JVM, round(jvm));
    if (pgPid > 0) {
      Map<String, Long> pgNow = pgTicks();
      double pgTotal = 0;
      Map<String, Double> pg = new TreeMap<>();
      for (var e : pgNow.entrySet()) {
        double secs = (e.getValue() - pgStart.getOrDefault(e.getKey(), 0L)) / (double) CLOCK_TICKS_PER_S;
        pg.put(e.getKey(), secs);
        unrounded.put(PG_PREFIX + e.getKey(), secs);
        pgTotal += secs;
      }
      pg.entrySet().stream().filter(e -> e.getValue() >= 0.05).sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .forEach(e -> out.put(PG_PREFIX + e.getKey(), round(e.getValue())));
      out.put(POSTGRESQL, round(pgTotal));
      unrounded.put(POSTGRESQL, pgTotal);
    }
    raw = unrounded;
    return out;
  }

  /** What the last {@link #stop} measured, neither rounded nor filtered: every group, {@code total_jvm} and {@code postgresql}. */
  Map<String, Double> raw() {
    return raw;
  }

  /**
   * CPU seconds of the pipeline's own stages in a window, from {@link #raw}: the JVM's total less
   * the load generator and the bench's own threads ({@link #NOT_PIPELINE_JVM}), plus PostgreSQL's
   * total less the issuing database's backends and the bench's queries ({@link #NOT_PIPELINE_PG}).
   * So ingest (Debezium and the engine pool), sync-streams, the broker, the projector and the
   * outcome recorder, the Kafka clients' I/O threads, JIT and GC, every other thread of the
   * pipeline's, the query store's backends, the WAL sender and the server's own processes count.
   */
  static double pipelineSeconds(Map<String, Double> raw) {
    double jvm = raw.getOrDefault(TOTAL_JVM, 0.0);
    for (String s : NOT_PIPELINE_JVM) {
      jvm -= raw.getOrDefault(s, 0.0);
    }
    double pg = raw.getOrDefault(POSTGRESQL, 0.0);
    for (String s : NOT_PIPELINE_PG) {
      pg -= raw.getOrDefault(PG_PREFIX + s, 0.0);
    }
    return Math.max(0, jvm) + Math.max(0, pg);
  }

  /** The stage a thread works for, from the names Debezium, Kafka, Streams and invoice-sync give them. */
  static String stage(String name) {
    String n = name.toLowerCase();
    if (n.startsWith("invoice-generator")) {
      return GENERATOR;
    }
    if (n.contains(BENCH_CLIENT_ID)) {
      return BENCH_ADMIN;
    }
    if (n.startsWith("bench-receiver")) {
      return BENCH_RECEIVER;
    }
    if (n.contains("webhooks") || n.startsWith("httpclient-")) {
      return "webhooks (fan-out, dispatcher, HTTP client)";
    }
    if (n.contains("streamthread") || n.contains("sync-streams") || n.contains("rocksdb")) {
      return "sync-streams";
    }
    if (n.contains("debezium") || n.contains("ingest")) {
      return "ingest (Debezium)";
    }
    if (n.contains("projector")) {
      return "projector";
    }
    if (n.contains("kafka-producer-network-thread") || n.contains("consumer_background") || n.contains("kafka-coordinator-heartbeat")) {
      return "kafka clients (I/O threads)";
    }
    if (n.contains("data-plane") || n.contains("kafka-request-handler") || n.contains("kafka-network-thread") || n.contains("raft")
        || n.contains("broker") || n.contains("controller") || n.contains("log-cleaner") || n.contains("kafka-scheduler")
        || n.contains("quorum") || n.contains("group-coordinator") || n.contains("transaction") || n.contains("replica")
        || n.contains("executor-") || n.contains("processor")) {
      return "kafka broker";
    }
    if (n.contains("hikari") || n.contains("pgjdbc")) {
      return "projector";
    }
    if (n.matches("pool-\\d+-thread-\\d+")) {
      return "ingest (engine pool: conversion, assembler, sends)"; // the only unnamed pools here are Debezium's engine's
    }
    if (n.equals("main")) {
      return BENCH_MAIN;
    }
    return "other (" + n.replaceAll("[-_ ]?\\d+", "").replaceAll("\\s+", " ") + ")";
  }

  /**
   * CPU ticks of the PostgreSQL server by role: backends by the database they serve (the issuing
   * platform's writes, the query store's), WAL senders (logical decoding for Debezium), and the
   * server's own processes; the postmaster's cumulative child time covers backends that exited.
   */
  private Map<String, Long> pgTicks() {
    Map<String, Long> m = new HashMap<>();
    if (pgPid <= 0) {
      return m;
    }
    m.merge("server (postmaster, WAL writer, checkpointer, exited backends)", ticks(pgPid, true), Long::sum);
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (name.chars().allMatch(Character::isDigit) && parent(p.resolve("stat")) == pgPid) {
          long pid = Long.parseLong(name);
          m.merge(benchPids.contains(pid) ? PG_BENCH : pgRole(p), ticks(pid, false), Long::sum);
        }
      }
    } catch (IOException e) {
      return m;
    }
    return m;
  }

  /** From a backend's title ({@code postgres: walsender postgres ...}, {@code postgres: postgres issuing 127.0.0.1(...) idle}). */
  private static String pgRole(Path proc) {
    String title;
    try {
      title = new String(Files.readAllBytes(proc.resolve("cmdline"))).replace('\0', ' ').trim();
    } catch (IOException e) {
      return "server (postmaster, WAL writer, checkpointer, exited backends)";
    }
    if (title.contains("walsender")) {
      return "WAL sender (logical decoding)";
    }
    String[] w = title.split("\\s+");
    if (w.length >= 4 && w[0].equals("postgres:") && w[3].contains("(")) {
      return "backends of database " + w[2];
    }
    return "server (postmaster, WAL writer, checkpointer, exited backends)";
  }

  /** utime + stime (+ cutime + cstime when {@code withChildren}), from /proc/pid/stat. */
  private static long ticks(long pid, boolean withChildren) {
    String[] f = statFields(Path.of("/proc", Long.toString(pid), "stat"));
    if (f == null) {
      return 0;
    }
    // fields after the command: index 0 = state (field 3); utime = field 14 -> index 11
    long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return withChildren ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
  }

  private static long parent(Path stat) {
    String[] f = statFields(stat);
    return f == null ? -1 : Long.parseLong(f[1]);
  }

  private static String[] statFields(Path stat) {
    try {
      String s = Files.readString(stat);
      return s.substring(s.lastIndexOf(')') + 2).split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Peak resident set (VmHWM) of a process, {@code "self"} for this one; -1 when /proc does not say. */
  static long peakRssMb(String pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  private static long processCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
