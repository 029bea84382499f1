/**
 * The contract between invoice-sync's stages and with the ERPs that consume its topics: Avro
 * records ({@link io.invoicesync.schemas.InvoiceChange}, {@link io.invoicesync.schemas.InvoiceState},
 * {@link io.invoicesync.schemas.InvoiceRejected}, {@link io.invoicesync.schemas.AuditEntry}), the
 * list of {@link io.invoicesync.schemas.Topics} and the {@link io.invoicesync.schemas.SerdeFactory}.
 * Nothing here depends on any other invoice-sync module.
 */
package io.invoicesync.schemas;
