/**
 * `lanes/ops`: what the `lanes` CLI does, as functions: deploy an app to the target and read its
 * stack outputs.
 *
 * @example
 * import { deployAll, readOutputs } from 'lanes/ops';
 * await deployAll(target, { log: console.log });
 * const outputs = readOutputs();
 */
export * from './deploy.ts';
