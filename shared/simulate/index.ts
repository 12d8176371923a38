/**
 * `#shared/simulate`: a virtual-clock model of a deployed lanes pipeline at AWS scale (SQS, the
 * event source mapping, Lambda, DynamoDB partitions, the lanes per-key policy). No AWS calls.
 *
 * @example
 * import { loadWorkload, readPipelineModel, runSimulation, summarize } from './index.ts';
 * const app = readPipelineModel(['Lanes-Pipeline'], 'cdk.out');
 * const { workload, logs } = loadWorkload('docs/simulate/reference.yaml');
 * const summary = summarize(runSimulation(app, workload, { logs }));
 */
export { type ArrivalLog, parseArrivalLog, type RateSpec } from './arrivals.ts';
export { type RunOptions, runSimulation, type SeriesRow, type SimulationRun } from './engine.ts';
export { SimulationError, TemplateModelError, WorkloadError } from './errors.ts';
export { AWS, MODEL_DEFAULTS } from './limits.ts';
export { renderPlots } from './plots.ts';
export {
  type CostEstimate,
  formatSeconds,
  formatSummary,
  type SimulationSummary,
  seriesCsv,
  summarize,
  type WorkerSummary,
} from './report.ts';
export {
  type PipelineModel,
  pipelineFromTemplate,
  readPipelineModel,
  type WorkerSettings,
} from './template.ts';
export {
  loadWorkload,
  parseWorkload,
  type Workload,
  type WorkloadInput,
  workloadSchema,
} from './workload.ts';
