/**
 * Embedded infrastructure for {@code invoice-sync demo} and the integration tests: a real
 * PostgreSQL (zonky binaries, logical WAL) and a real single-node KRaft Kafka broker, both with
 * their data under a directory of the caller's so a second start resumes.
 */
package io.invoicesync.embedded;
