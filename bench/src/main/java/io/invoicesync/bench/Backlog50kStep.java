package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;

import java.nio.file.Path;

/**
 * Step e2e50k (issue 23's {@code e2e_vs_peer_50k}): the end-to-end cold backlog and the peer, each
 * exactly as in steps e2e and peer (own servers, same generator seed and id prefix, both timed from
 * a cold start of every stage until every invoice is in), over 50,000 invoices whatever the mode.
 * Part of a full run; a quick run leaves it out unless {@code --only} names it.
 */
final class Backlog50kStep {

  /**
   * @param invoices the backlog issued to each side
   * @param e2e      the pipeline's drain
   * @param peer     the peer's
   */
  record Result(int invoices, EndToEndStep.ColdBacklog e2e, PeerStep.Result peer) {
  }

  private Backlog50kStep() {
  }

  static Result run(BenchRun run, Path peerLib) throws Exception {
    int n = BenchRun.BACKLOG_50K;
    log("   end to end over a cold backlog of %d invoices", n);
    EndToEndStep.ColdBacklog e2e = EndToEndStep.coldBacklog(run, n, "e2e50k");
    log("   the peer over the same kind of backlog of %d invoices", n);
    PeerStep.Result peer = PeerStep.run(run, peerLib, n, "peer50k");
    return new Result(n, e2e, peer);
  }
}
