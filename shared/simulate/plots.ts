import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SeriesRow } from './engine.ts';

/** Options of {@link renderPlots}. */
export interface PlotOptions {
  readonly title: string;
  /** One line each. */
  readonly subtitle?: string | readonly string[];
  /** Width of each panel in pixels. @default 760 */
  readonly width?: number;
}

/**
 * The four panels a person reads a run by, one above the other on a shared time axis: backlog,
 * concurrency (running invocations, and the mapping's target dashed), throughput, and the age of
 * the oldest message, one line per worker. Vega-Lite compiles the chart; Vega renders the SVG
 * in Node without a browser.
 *
 * @example
 * writeFileSync('run.svg', await renderPlots(run.series, { title: 'reference pipeline' }));
 */
export async function renderPlots(
  rows: readonly SeriesRow[],
  options: PlotOptions,
): Promise<string> {
  const last = rows.length > 0 ? (rows[rows.length - 1] as SeriesRow).t : 0;
  const minutes = last > 600;
  const values = rows.map((r) => ({ ...r, x: minutes ? r.t / 60 : r.t }));
  const width = options.width ?? 760;
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: minutes ? 'simulated time (minutes)' : 'simulated time (s)',
    scale: { nice: false },
  };
  const color = {
    field: 'worker',
    type: 'nominal' as const,
    title: 'worker',
    scale: { scheme: 'tableau10' },
  };
  const maxAge = Math.max(0, ...rows.map((r) => r.oldestAgeSeconds));
  const panel = (field: string, title: string, format = ',.0f') => ({
    width,
    height: 130,
    mark: { type: 'line' as const, interpolate: 'step-after' as const, strokeWidth: 1.6 },
    encoding: {
      x,
      y: { field, type: 'quantitative' as const, title, axis: { format, tickCount: 4 } },
      color,
    },
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: options.title,
      ...(options.subtitle ? { subtitle: options.subtitle as string | string[] } : {}),
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 11,
    },
    data: { values },
    vconcat: [
      panel('backlog', 'backlog (messages)'),
      {
        width,
        height: 130,
        transform: [{ fold: ['concurrency', 'mappingConcurrency'], as: ['series', 'value'] }],
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x,
          y: {
            field: 'value',
            type: 'quantitative',
            title: 'concurrency (avg)',
            axis: { tickCount: 4 },
          },
          color,
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: 'line',
            scale: {
              domain: ['concurrency', 'mappingConcurrency'],
              range: [
                [1, 0],
                [4, 3],
              ],
            },
            legend: {
              labelExpr: "datum.label === 'concurrency' ? 'running invocations' : 'mapping target'",
              labelLimit: 200,
            },
          },
        },
      },
      panel('throughputPerSecond', 'throughput (msg/s)'),
      panel('oldestAgeSeconds', 'oldest message (s)', maxAge >= 10 ? ',.0f' : ',.1f'),
    ],
    spacing: 18,
    resolve: { scale: { color: 'shared' } },
    description: options.title,
    config: {
      // No ARIA roles on the marks: the SVG is a picture in a README, and a document of roles
      // per line segment helps nobody.
      aria: false,
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      background: 'white',
      padding: 12,
      axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#e6e6e6' },
      legend: { orient: 'right', labelFontSize: 11, titleFontSize: 11, labelLimit: 200 },
      view: { stroke: '#cccccc' },
    },
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  // A <title> names the picture for screen readers (and satisfies the linter's a11y rule).
  const title = options.title.replace(
    /[<&>]/g,
    (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;' })[c] as string,
  );
  return svg
    .replace(/ (role="graphics-[a-z]+"|aria-roledescription="[^"]*"|aria-label="[^"]*")/g, '')
    .replace(/^(<svg[^>]*>)/, `$1<title>${title}</title>`);
}
