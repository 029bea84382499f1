package io.invoicesync.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which tree a run measured (bench) or tried (chaos): {@code git rev-parse HEAD} and
 * {@code git status --porcelain} in the directory it runs in (the repository's root, from
 * {@code bin/invoice-sync-bench} and {@code bin/invoice-sync-chaos}), read at the run's start. Read-only: {@code --no-optional-locks} keeps status from refreshing the index.
 *
 * @param commit  HEAD's commit id, or "unknown" when git could not say
 * @param dirty   whether the tree had changes (untracked files included), null when unknown
 * @param changed the changed paths as status lists them (at most {@value #MAX_PATHS})
 */
public record GitState(String commit, Boolean dirty, List<String> changed) {

  public static final int MAX_PATHS = 30;

  public static GitState read(Path dir) {
    String head = git(dir, "rev-parse", "HEAD");
    String status = git(dir, "--no-optional-locks", "status", "--porcelain");
    return new GitState(head == null || head.isBlank() ? "unknown" : head.trim(), status == null ? null : !status.isBlank(),
        status == null ? List.of() : changedPaths(status));
  }

  /** The paths of {@code git status --porcelain}'s lines ("XY path", "XY old -> new"). */
  public static List<String> changedPaths(String porcelain) {
    return Arrays.stream(porcelain.split("\n")).filter(l -> l.length() > 3).map(l -> l.substring(3).trim()).limit(MAX_PATHS).toList();
  }

  private static String git(Path dir, String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "git";
    System.arraycopy(args, 0, cmd, 1, args.length);
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
