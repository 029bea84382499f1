/** The reference schema of the issuing platform's database. */
package io.invoicesync.ingest.issuing;
