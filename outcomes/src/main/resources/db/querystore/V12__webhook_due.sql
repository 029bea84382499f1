-- The dispatcher's claim by due time (session 17): per endpoint, its PENDING messages in the order they fall due, so a
-- turn reads the few that are due and stops at the first that is not. By enqueue order (webhook_message_pending) it
-- walked every waiting message each turn: an endpoint down for an hour, thousands of messages with their next attempt
-- minutes away, cost a scan of all of them every poll. Messages in flight (leased) are due ones, a few per endpoint at the
-- front of the scan.
CREATE INDEX webhook_message_due ON webhook_message (endpoint_id, next_attempt_at, seq) WHERE status = 'PENDING';
DROP INDEX webhook_message_pending;
-- a queue table: its rows are updated twice per delivery and leave the partial indexes; vacuum it at 1% dead rather than 20%
ALTER TABLE webhook_message SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
