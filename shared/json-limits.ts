/**
 * Bounds on the free-form JSON an agent sends inside valid frames (structured
 * states, the host inventory). Without them one 10 kB frame nested 5 000 deep
 * makes every later JSON.stringify of the host throw, and a key named
 * `__proto__` or `constructor` reaches Object.prototype when the value is
 * copied into a plain object. Both validators (the server's frame decoder and
 * the fuzz harness's expectations) use these numbers.
 */

export interface JsonLimits {
  /** Nesting of objects and arrays below the value itself (a flat object is depth 1). */
  maxDepth: number;
  /** Keys of any one object. */
  maxKeys: number;
  /** Items of any one array. */
  maxItems: number;
  /** Characters of any one string or key. */
  maxString: number;
  /** Objects, arrays and scalars in the whole value. */
  maxNodes: number;
}

/** Keys that mean something to JavaScript objects: refused everywhere an agent names things. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** One structured state's value (an md array report, a log-path check result). */
export const STATE_VALUE_LIMITS: JsonLimits = {
  maxDepth: 8,
  maxKeys: 200,
  maxItems: 2000,
  maxString: 4000,
  maxNodes: 20_000,
};

/** The host inventory (systeminformation: OS, CPUs, memory, block devices, filesystems). */
export const INVENTORY_LIMITS: JsonLimits = {
  maxDepth: 8,
  maxKeys: 500,
  maxItems: 5000,
  maxString: 4000,
  maxNodes: 100_000,
};

/**
 * Checks a parsed JSON value against the limits, without recursion (a deep
 * value must not exhaust the stack here either). Returns the first problem
 * with its path, or null.
 */
export function jsonLimitProblem(value: unknown, limits: JsonLimits, where = 'value'): string | null {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: where }];
  let nodes = 0;
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (++nodes > limits.maxNodes) return `${where}: more than ${limits.maxNodes} values`;
    if (typeof v === 'string') {
      if (v.length > limits.maxString) return `${path}: string longer than ${limits.maxString} characters`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limits.maxDepth) return `${path}: nested deeper than ${limits.maxDepth} levels`;
    if (Array.isArray(v)) {
      if (v.length > limits.maxItems) return `${path}: more than ${limits.maxItems} items`;
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1, path: `${path}.${i}` });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.maxKeys) return `${path}: more than ${limits.maxKeys} keys`;
    for (const k of keys) {
      if (FORBIDDEN_KEYS.has(k)) return `${path}: key "${k}" is not allowed`;
      if (k.length > limits.maxString) return `${path}: key longer than ${limits.maxString} characters`;
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, path: `${path}.${k}` });
    }
  }
  return null;
}

/** A map with no prototype: no key an agent sends can reach Object.prototype through it. */
export function bareMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
