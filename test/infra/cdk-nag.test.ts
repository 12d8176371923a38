import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAG_ACKNOWLEDGEMENTS } from '#infra/nag.ts';
import { appContext, everyConstructStack, referenceStacks } from '#test/infra/support/stacks.ts';

interface Violation {
  readonly ruleName: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
  readonly reason?: string;
  readonly acknowledgedId?: string;
}

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly Violation[];
    readonly suppressedViolations?: readonly Violation[];
  }[];
}

/**
 * cdk-nag's AwsSolutions pack over every stack of the reference app and over a stack with every
 * lanes construct on its defaults, with the feature flags of cdk.json: no finding (error or
 * warning) may stand unacknowledged, and every acknowledgement is one of the library's, whose
 * reason names the AWS requirement and is listed in docs/cdk-nag.md.
 */
describe('cdk-nag AwsSolutions', () => {
  let outdir: string;
  let report: ValidationReport['pluginReports'][number];

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'lanes-nag-'));
    const app = new App({ context: appContext(), outdir });
    referenceStacks(app);
    everyConstructStack(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const full = JSON.parse(
      readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    const found = full.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    if (!found) throw new Error('cdk-nag wrote no AwsSolutions report');
    report = found;
  }, 120_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('leaves no finding unacknowledged, errors or warnings', () => {
    const open = report.violations.map(
      (v) =>
        `${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
    );
    expect(open).toEqual([]);
    expect(report.conclusion).toBe('success');
  });

  it('acknowledges only the library findings, each with its AWS reason', () => {
    const known = Object.values(NAG_ACKNOWLEDGEMENTS);
    const suppressed = report.suppressedViolations ?? [];
    expect(suppressed.length).toBeGreaterThan(0);
    for (const violation of suppressed) {
      const ack = known.find((k) => k.reason === violation.reason);
      expect(ack, `${violation.ruleName}: ${violation.reason}`).toBeDefined();
      expect(violation.acknowledgedId?.startsWith(ack?.id ?? '?')).toBe(true);
    }
    // Every library acknowledgement is used somewhere (none is kept "just in case").
    for (const ack of known) {
      expect(
        suppressed.some((v) => v.reason === ack.reason),
        ack.id,
      ).toBe(true);
    }
  });

  it('documents every acknowledgement and its reason in docs/cdk-nag.md', () => {
    const doc = readFileSync(new URL('../../docs/cdk-nag.md', import.meta.url), 'utf8');
    for (const [name, ack] of Object.entries(NAG_ACKNOWLEDGEMENTS)) {
      expect(doc, name).toContain(`\`${name}\``);
      expect(doc, name).toContain(ack.reason);
    }
  });
});
