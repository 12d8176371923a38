import { createDirectStepHandler } from 'lanes/runtime';
import { FULFILMENT_STEPS } from '../domain/fulfilment/model.ts';
import { fulfilmentDepsFromEnv } from '../domain/fulfilment/runtime.ts';
import { fulfilmentSteps } from '../domain/fulfilment/steps.ts';

const steps = fulfilmentSteps(fulfilmentDepsFromEnv());

/** Direct Lambda task: the refund step of the order fulfilment workflow. */
export const handler = createDirectStepHandler(FULFILMENT_STEPS.REFUND, steps.refund);
