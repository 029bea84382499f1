/**
 * The validation rules of DOMAIN.md, each a small {@link io.invoicesync.streams.rules.InvoiceRule}
 * with stable UPPER_SNAKE codes; {@link io.invoicesync.streams.rules.InvoiceValidator} applies them all.
 */
package io.invoicesync.streams.rules;
