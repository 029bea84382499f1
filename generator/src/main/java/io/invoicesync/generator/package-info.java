/** The invoice generator of the demo, infra and the benchmarks: valid invoices of both generations, a share of invalid ones, status changes and red-letter invoices, inserted into the issuing database. */
package io.invoicesync.generator;
