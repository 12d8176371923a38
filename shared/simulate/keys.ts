import { laneHash, laneOf } from '../ingress/lanes.ts';
import type { Random } from './random.ts';

/** How partition keys are drawn, as the workload file states it. */
export type KeySpec =
  | { readonly distribution: 'uniform'; readonly count: number }
  | { readonly distribution: 'zipf'; readonly count: number; readonly exponent: number }
  | { readonly distribution: 'hot'; readonly count: number; readonly hotShare: number };

/**
 * Walker/Vose alias table: O(1) draws from a discrete distribution. Our own: a dozen lines, and
 * it must draw from our seeded {@link Random}.
 */
export class AliasTable {
  readonly #probability: Float64Array;
  readonly #alias: Int32Array;
  readonly #values: Int32Array | undefined;

  /** @param values - what each weight's index stands for (default: the index itself). */
  public constructor(weights: ArrayLike<number>, values?: Int32Array) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i] ?? 0;
    this.#probability = new Float64Array(n);
    this.#alias = new Int32Array(n);
    this.#values = values;
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = ((weights[i] ?? 0) * n) / total;
      ((scaled[i] as number) < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.#probability[s] = scaled[s] as number;
      this.#alias[s] = l;
      scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
      ((scaled[l] as number) < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.#probability[i] = 1;
  }

  public sample(random: Random): number {
    const n = this.#probability.length;
    const u = random.next() * n;
    const i = Math.floor(u);
    const picked = u - i < (this.#probability[i] as number) ? i : (this.#alias[i] as number);
    return this.#values ? (this.#values[picked] as number) : picked;
  }
}

/**
 * A key distribution over key indices 0..count-1, with draws restricted to one message group
 * (the keys of one lane) for FIFO queues grouped by lane.
 *
 * @example
 * const keys = new KeyDistribution({ distribution: 'hot', count: 1000, hotShare: 0.3 });
 * keys.sample(random); // 0 about 30 % of the time
 */
export class KeyDistribution {
  public readonly count: number;
  readonly #spec: KeySpec;
  readonly #table: AliasTable | undefined;
  readonly #restricted = new Map<string, AliasTable | undefined>();
  readonly #zipfNorm: number = 1;

  public constructor(spec: KeySpec) {
    this.#spec = spec;
    this.count = spec.count;
    if (spec.distribution === 'zipf') {
      const weights = new Float64Array(spec.count);
      let total = 0;
      for (let i = 0; i < spec.count; i++) {
        weights[i] = 1 / (i + 1) ** spec.exponent;
        total += weights[i] as number;
      }
      this.#zipfNorm = total;
      this.#table = new AliasTable(weights);
    }
  }

  /** Probability of key `i`. */
  public weight(i: number): number {
    const spec = this.#spec;
    switch (spec.distribution) {
      case 'uniform':
        return 1 / spec.count;
      case 'hot':
        if (spec.count === 1) return 1;
        return i === 0 ? spec.hotShare : (1 - spec.hotShare) / (spec.count - 1);
      case 'zipf':
        return 1 / (i + 1) ** spec.exponent / this.#zipfNorm;
    }
  }

  public sample(random: Random): number {
    const spec = this.#spec;
    if (this.#table) return this.#table.sample(random);
    if (spec.distribution === 'hot' && spec.count > 1) {
      return random.next() < spec.hotShare ? 0 : 1 + random.int(spec.count - 1);
    }
    return random.int(spec.count);
  }

  /**
   * Draws a key among those whose group is `group` (keys are i.i.d., so drawing a message's key
   * when it is received, given its group, has the same distribution as drawing it when sent).
   */
  public sampleInGroup(random: Random, group: number, groups: KeyGroups): number {
    const id = `${groups.id}:${group}`;
    let table = this.#restricted.get(id);
    if (!this.#restricted.has(id)) {
      const members: number[] = [];
      for (let k = 0; k < this.count; k++) if (groups.groupOf(k) === group) members.push(k);
      table =
        members.length === 0
          ? undefined
          : new AliasTable(
              members.map((k) => this.weight(k)),
              Int32Array.from(members),
            );
      this.#restricted.set(id, table);
    }
    return table ? table.sample(random) : this.sample(random);
  }

  /** Share of the traffic that each group receives. */
  public groupShares(groups: KeyGroups, groupCount: number): Float64Array {
    const shares = new Float64Array(groupCount);
    for (let k = 0; k < this.count; k++) {
      const g = groups.groupOf(k);
      shares[g] = (shares[g] as number) + this.weight(k);
    }
    return shares;
  }
}

/** Maps a key index to a group (a FIFO message group, a DynamoDB partition). */
export interface KeyGroups {
  readonly id: string;
  groupOf(key: number): number;
}

/**
 * Names of keys: generated keys are `key-<i>`; keys read from an arrival log are registered by
 * name. The name decides the lane (the ingress's FNV-1a hash) and the DynamoDB partition.
 */
export class KeyNames {
  readonly #byName = new Map<string, number>();
  readonly #names: string[] = [];
  readonly #generated: number;

  /** @param generated - keys 0..generated-1 are the generated `key-<i>`. */
  public constructor(generated: number) {
    this.#generated = generated;
  }

  public name(key: number): string {
    return key < this.#generated
      ? `key-${key}`
      : (this.#names[key - this.#generated] ?? `key-${key}`);
  }

  /** Index of a named key (registered on first use). */
  public index(name: string): number {
    const match = /^key-(\d+)$/.exec(name);
    if (match && Number(match[1]) < this.#generated) return Number(match[1]);
    let index = this.#byName.get(name);
    if (index === undefined) {
      index = this.#generated + this.#names.length;
      this.#names.push(name);
      this.#byName.set(name, index);
    }
    return index;
  }

  public get size(): number {
    return this.#generated + this.#names.length;
  }
}

/**
 * Key to group by a function of the key's name, cached per key: lanes (the ingress's `laneOf`)
 * and DynamoDB partitions (a stable hash modulo the partition count).
 */
export class HashedGroups implements KeyGroups {
  public readonly id: string;
  #cache = new Int32Array(0);
  readonly #names: KeyNames;
  readonly #assign: (name: string) => number;

  public constructor(id: string, names: KeyNames, assign: (name: string) => number) {
    this.id = id;
    this.#names = names;
    this.#assign = assign;
  }

  /** Lanes of the ingress: the same hash the publisher uses. */
  public static lanes(names: KeyNames, lanes: number): HashedGroups {
    return new HashedGroups(`lanes-${lanes}`, names, (name) => laneOf(name, lanes));
  }

  /** DynamoDB partitions of per-key items (a stable hash of the key, modulo the partitions). */
  public static partitions(names: KeyNames, partitions: number): HashedGroups {
    return new HashedGroups(
      `partitions-${partitions}`,
      names,
      (name) => laneHash(`pk#${name}`) % partitions,
    );
  }

  public groupOf(key: number): number {
    if (key >= this.#cache.length) {
      const grown = new Int32Array(Math.max(key + 1, this.#cache.length * 2, 1024)).fill(-1);
      grown.set(this.#cache);
      this.#cache = grown;
    }
    let group = this.#cache[key] as number;
    if (group < 0) {
      group = this.#assign(this.#names.name(key));
      this.#cache[key] = group;
    }
    return group;
  }
}
