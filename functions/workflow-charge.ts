import { createDirectStepHandler } from '#shared/workflows/direct-step.ts';
import { FULFILMENT_STEPS } from '#shared/workflows/order-fulfilment/model.ts';
import { fulfilmentDepsFromEnv } from '#shared/workflows/order-fulfilment/runtime.ts';
import { fulfilmentSteps } from '#shared/workflows/order-fulfilment/steps.ts';

const steps = fulfilmentSteps(fulfilmentDepsFromEnv());

/** Direct Lambda task: the charge step of the order fulfilment workflow. */
export const handler = createDirectStepHandler(FULFILMENT_STEPS.CHARGE, steps.charge);
