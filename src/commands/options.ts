/**
 * Parsers for option values shared by several commands: each rejects a bad value with one line.
 */
import { InvalidArgumentError } from 'commander';

export function positiveIntList(label: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map((s) => s.trim());
    const out = xs.map(Number);
    if (!xs.length || out.some((n, i) => !/^\d+$/.test(xs[i]) || n < 1)) {
      throw new InvalidArgumentError(`${label} must be a comma-separated list of positive integers, got '${v}'`);
    }
    return out;
  };
}

export function positiveInt(label: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1) throw new InvalidArgumentError(`${label} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function nonNegativeInt(label: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${label} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

export const nameList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
