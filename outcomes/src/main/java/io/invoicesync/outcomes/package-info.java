/** The answer pillar: one vocabulary ({@link io.invoicesync.outcomes.Outcome}), the tenant condition ({@link io.invoicesync.outcomes.Tenant}, {@link io.invoicesync.outcomes.Where}), and the parts that answer for every invoice. See the module README. */
package io.invoicesync.outcomes;
