package io.invoicesync.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Whether this JVM's JIT compilers have settled. On this 2-core box a fresh JVM spends about half a core in C2 for its
 * first two minutes under load (2.5 ms per invoice at 200/s, 0.7 cores in step e2e's 200/s window before this wait):
 * a window measured then measures the compiler as much as the pipeline, and on 2 cores it saturates the box. A steady
 * state is measured after it; the windows still report the compiler's share ({@code jvm JIT compiler} in their CPU).
 */
final class JitCompiler {

  /** Settled: the compilers spent under this much compile time per second of wall time (a tenth of a core). */
  static final double SETTLED_SHARE = 0.1;

  private static final int WINDOW_SECONDS = 10;

  private JitCompiler() {
  }

  /**
   * Until the compilers spent under {@link #SETTLED_SHARE} of a core over the last 10 s, or {@code atMost}; whether they
   * settled. Whatever runs meanwhile (a load, or nothing) is the caller's.
   */
  static boolean awaitSettled(Duration atMost) throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
      return false;
    }
    long deadline = System.nanoTime() + atMost.toNanos();
    ArrayDeque<Long> samples = new ArrayDeque<>(); // accumulated compile time (ms), one sample a second
    while (System.nanoTime() < deadline) {
      samples.addLast(jit.getTotalCompilationTime());
      if (samples.size() > WINDOW_SECONDS) {
        samples.removeFirst();
        if (settled(samples.getLast() - samples.getFirst(), WINDOW_SECONDS)) {
          return true;
        }
      }
      Thread.sleep(1_000); // sampling the compilers' time
    }
    return false;
  }

  /** Whether {@code compileMs} of compile time over {@code seconds} of wall time is under the settled share. */
  static boolean settled(long compileMs, int seconds) {
    return compileMs < SETTLED_SHARE * seconds * 1_000;
  }
}
