/**
 * The function the `WorkerAutoscaling` construct deploys (it bundles this file, from the sources
 * or from the installed package's dist/). Configured entirely by its environment.
 */
import { createAutoscalerHandler } from './autoscaler-handler.ts';

export const handler = createAutoscalerHandler();
