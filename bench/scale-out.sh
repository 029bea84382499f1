#!/bin/bash
# Scale-out on one machine: drain rate of a 20,000-invoice backlog with N streams+projector processes (ingest+api in one more).
# usage: bench/scale-out.sh N     (from the repository root, after a build; uses ports 18080 and any free ones; data in /tmp/scale-N)
N=$1; cd "$(dirname "$0")/.."
D=/tmp/scale-$N; rm -rf $D; mkdir -p $D
bin/invoice-sync infra --data-dir $D --rate 3000 --count 20000 > $D/infra.out 2>&1 &
INFRA=$!
until grep -q "issued .* invoices" $D/infra.out; do sleep 1; done
ISSUED=$(grep -o "issued [0-9]* invoices" $D/infra.out | grep -o "[0-9]*")
CFG=$D/run.properties
T0=$(date +%s.%N)
INVOICESYNC_API_PORT=18080 bin/invoice-sync run --config $CFG --components ingest,api > $D/ingest.out 2>&1 &
PIDS="$!"
for i in $(seq 1 $N); do
  INVOICESYNC_STREAMS_STATE_DIR=$D/s$i INVOICESYNC_MANAGEMENT_INSTANCE=i$i bin/invoice-sync run --config $CFG --components streams,projector > $D/sp$i.out 2>&1 &
  PIDS="$PIDS $!"
done
decided() { curl -s localhost:18080/api/v1/status | python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(c["visible"]+c["rejected"])' 2>/dev/null || echo 0; }
FIRST=""
while true; do
  d=$(decided); now=$(date +%s.%N)
  if [ -z "$FIRST" ] && [ "$d" -gt 0 ]; then FIRST=$now; D0=$d; fi
  if [ "$d" -ge $((ISSUED * 999 / 1000)) ]; then break; fi
  sleep 1
done
python3 -c "print('instances=$N issued=$ISSUED decided=$d total=%.1fs incl. start=%.0f/s from first visible=%.0f/s' % ($now-$T0, $d/($now-$T0), ($d-$D0)/($now-$FIRST)))"
kill $PIDS; wait $PIDS 2>/dev/null
kill $INFRA; wait $INFRA 2>/dev/null
