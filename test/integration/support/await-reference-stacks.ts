/**
 * Setup file of the integration projects: a file's tests start once the reference stacks are
 * deployed (the global setup deploys them while the unit tests run), or fail with the reason.
 */
import { referenceStacksDeployed } from '#test/integration/support/reference-stacks.ts';

await referenceStacksDeployed();
