import type { KeyGroups } from './keys.ts';
import { AWS } from './limits.ts';

/**
 * Per-partition write capacity of a DynamoDB table for per-key items: each partition takes 1,000
 * write units per second (docs/aws-limits.md). A record whose write finds its partition's budget
 * for the current second spent fails after the SDK's retries (they fall within the same second),
 * and its message is retried through SQS like any failed record.
 *
 * @example
 * const table = new PartitionedTable(4, partitions);
 * const written = table.writeRecords(key, 10, 1, now); // records whose writes were accepted
 */
export class PartitionedTable {
  readonly #second: Float64Array;
  readonly #used: Float64Array;
  /** Highest write units used by each partition in one second. */
  public readonly peakUnits: Float64Array;
  /** Write units refused (throttled) per partition. */
  public readonly throttledUnits: Float64Array;
  public writtenUnits = 0;

  public constructor(
    public readonly partitions: number,
    private readonly groups: KeyGroups,
    private readonly unitsPerSecond: number = AWS.dynamodb.writeUnitsPerPartitionPerSecond,
  ) {
    this.#second = new Float64Array(partitions).fill(-1);
    this.#used = new Float64Array(partitions);
    this.peakUnits = new Float64Array(partitions);
    this.throttledUnits = new Float64Array(partitions);
  }

  /** Partition of a key's item. */
  public partitionOf(key: number): number {
    return this.groups.groupOf(key);
  }

  /** Writes `unitsPerRecord` for each of `records` records of `key`; returns how many succeeded. */
  public writeRecords(key: number, records: number, unitsPerRecord: number, now: number): number {
    if (unitsPerRecord <= 0) return records;
    const p = this.partitionOf(key);
    const second = Math.floor(now / 1000);
    if (this.#second[p] !== second) {
      this.#second[p] = second;
      this.#used[p] = 0;
    }
    const used = this.#used[p] as number;
    const fits = Math.max(
      0,
      Math.min(records, Math.floor((this.unitsPerSecond - used) / unitsPerRecord)),
    );
    const units = fits * unitsPerRecord;
    this.#used[p] = used + units;
    this.writtenUnits += units;
    if ((this.#used[p] as number) > (this.peakUnits[p] as number))
      this.peakUnits[p] = this.#used[p] as number;
    this.throttledUnits[p] = (this.throttledUnits[p] as number) + (records - fits) * unitsPerRecord;
    return fits;
  }
}
