/**
 * The two containers the simulator's hot path needs, written here because each is a few lines
 * and must not allocate per operation: a ring-buffer deque and a binary min-heap of timed events.
 */

/**
 * Double-ended queue on a growable ring buffer.
 *
 * @example
 * const q = new Deque<number>();
 * q.pushBack(1); q.pushFront(0); q.popFront(); // 0
 */
export class Deque<T> {
  #items: (T | undefined)[] = new Array(16);
  #head = 0;
  #size = 0;

  public get size(): number {
    return this.#size;
  }

  public pushBack(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = item;
    this.#size++;
  }

  public pushFront(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#size++;
  }

  public popFront(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#size--;
    return item;
  }

  public popBack(): T | undefined {
    if (this.#size === 0) return undefined;
    const index = (this.#head + this.#size - 1) & (this.#items.length - 1);
    const item = this.#items[index];
    this.#items[index] = undefined;
    this.#size--;
    return item;
  }

  public peekFront(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  public peekBack(): T | undefined {
    return this.#size === 0
      ? undefined
      : this.#items[(this.#head + this.#size - 1) & (this.#items.length - 1)];
  }

  /** Item `i` from the front (0 = front). */
  public at(i: number): T | undefined {
    return i < 0 || i >= this.#size
      ? undefined
      : this.#items[(this.#head + i) & (this.#items.length - 1)];
  }

  public *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) yield this.at(i) as T;
  }

  #grow(): void {
    const grown: (T | undefined)[] = new Array(this.#items.length * 2);
    for (let i = 0; i < this.#size; i++) grown[i] = this.at(i);
    this.#items = grown;
    this.#head = 0;
  }
}

/** Something that happens at a virtual time. */
export interface TimedEvent {
  readonly at: number;
  fire(now: number): void;
}

/**
 * Min-heap of events by time; events at the same time fire in the order they were scheduled, so
 * a run is deterministic.
 */
export class EventQueue {
  #events: TimedEvent[] = [];
  #order: number[] = [];
  #sequence = 0;

  public get size(): number {
    return this.#events.length;
  }

  public push(event: TimedEvent): void {
    const events = this.#events;
    const order = this.#order;
    let i = events.length;
    events.push(event);
    order.push(this.#sequence++);
    const seq = order[i] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = events[parent] as TimedEvent;
      if (p.at < event.at || (p.at === event.at && (order[parent] as number) < seq)) break;
      events[i] = p;
      order[i] = order[parent] as number;
      i = parent;
    }
    events[i] = event;
    order[i] = seq;
  }

  public peekTime(): number {
    return this.#events.length === 0
      ? Number.POSITIVE_INFINITY
      : (this.#events[0] as TimedEvent).at;
  }

  public pop(): TimedEvent | undefined {
    const events = this.#events;
    const order = this.#order;
    const n = events.length;
    if (n === 0) return undefined;
    const top = events[0] as TimedEvent;
    const last = events.pop() as TimedEvent;
    const lastSeq = order.pop() as number;
    if (n > 1) {
      let i = 0;
      const size = n - 1;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (right < size) {
          const l = events[left] as TimedEvent;
          const r = events[right] as TimedEvent;
          if (r.at < l.at || (r.at === l.at && (order[right] as number) < (order[left] as number)))
            child = right;
        }
        const c = events[child] as TimedEvent;
        if (last.at < c.at || (last.at === c.at && lastSeq < (order[child] as number))) break;
        events[i] = c;
        order[i] = order[child] as number;
        i = child;
      }
      events[i] = last;
      order[i] = lastSeq;
    }
    return top;
  }
}

/**
 * Min-heap of items by a numeric priority (ties: first in, first out).
 *
 * @example
 * const heap = new MinHeap<string>();
 * heap.push(2, 'b'); heap.push(1, 'a'); heap.pop(); // 'a'
 */
export class MinHeap<T> {
  #priority: number[] = [];
  #order: number[] = [];
  #items: T[] = [];
  #sequence = 0;

  public get size(): number {
    return this.#items.length;
  }

  public push(priority: number, item: T): void {
    let i = this.#items.length;
    const seq = this.#sequence++;
    this.#items.push(item);
    this.#priority.push(priority);
    this.#order.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(priority, seq, parent)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#set(i, priority, seq, item);
  }

  public peek(): T | undefined {
    return this.#items[0];
  }

  public pop(): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const top = this.#items[0] as T;
    const item = this.#items.pop() as T;
    const priority = this.#priority.pop() as number;
    const seq = this.#order.pop() as number;
    if (n > 1) {
      let i = 0;
      const size = n - 1;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (
          right < size &&
          this.#before(this.#priority[right] as number, this.#order[right] as number, left)
        )
          child = right;
        if (
          !this.#before(
            this.#priority[child] as number,
            this.#order[child] as number,
            -1,
            priority,
            seq,
          )
        )
          break;
        this.#move(child, i);
        i = child;
      }
      this.#set(i, priority, seq, item);
    }
    return top;
  }

  /** Is (priority, seq) before the entry at `index` (or before the given pair when index < 0)? */
  #before(priority: number, seq: number, index: number, otherPriority = 0, otherSeq = 0): boolean {
    const p = index >= 0 ? (this.#priority[index] as number) : otherPriority;
    const s = index >= 0 ? (this.#order[index] as number) : otherSeq;
    return priority < p || (priority === p && seq < s);
  }

  #move(from: number, to: number): void {
    this.#set(
      to,
      this.#priority[from] as number,
      this.#order[from] as number,
      this.#items[from] as T,
    );
  }

  #set(i: number, priority: number, seq: number, item: T): void {
    this.#priority[i] = priority;
    this.#order[i] = seq;
    this.#items[i] = item;
  }
}
