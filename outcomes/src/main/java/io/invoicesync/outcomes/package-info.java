/** The answer pillar: one vocabulary ({@link io.invoicesync.outcomes.Outcome}), the tenant condition, and the parts that answer for every invoice. See the module README. */
package io.invoicesync.outcomes;
