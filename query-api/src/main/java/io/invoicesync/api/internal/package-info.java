/** Query store reads and problem-details errors of the query API. */
package io.invoicesync.api.internal;
