import { describe, expect, it } from 'vitest';
import { discoverApp } from '#cli/discovery.ts';
import { formatSnapshot, snapshotWorkers } from '#cli/ops.ts';
import { lanesMappingAvailable, NEEDS_EMBEDDED } from './support/esm.ts';

/** `lanes watch` shows each pipeline worker's live mapping figures next to its caps. */
describe('lanes watch on the embedded LocalStack', () => {
  it("reads every pipeline worker's concurrency, peak and throttles from its mapping", async (ctx) => {
    ctx.skip(!(await lanesMappingAvailable()), NEEDS_EMBEDDED);
    const { workers } = await discoverApp({ stacks: ['Lanes-Pipeline'] });
    const rows = await snapshotWorkers(workers);
    expect(rows.map((r) => r.worker).sort()).toEqual(['notifications', 'orders']);
    for (const row of rows) {
      expect(row.maxConcurrency, row.worker).toBeGreaterThanOrEqual(2);
      expect(row.concurrency, row.worker).toBeGreaterThanOrEqual(0);
      expect(row.concurrency, row.worker).toBeLessThanOrEqual(row.maxConcurrency ?? 0);
      expect(row.peakConcurrency, row.worker).toBeLessThanOrEqual(row.maxConcurrency ?? 0);
      expect(row.throttles, row.worker).toBe(0);
    }
    const table = formatSnapshot(rows);
    console.info(table);
    expect(table.split('\n')[0]).toMatch(/reserved\s+max-conc\s+running\s+peak\s+throttles/);
    expect(table).toMatch(
      /^orders\s+Lanes-Pipeline\s+\d+\s+\d+\s+\d+\s+10\s+10\s+\d+\s+\d+\s+0\s+Enabled$/m,
    );
  });
});
