import type { z } from 'zod';

/** Who may call a method. Researcher calls need the researcher token; rater calls a rater token. */
export type Role = 'researcher' | 'rater';

/** A phantom marker carrying a method's output type; outputs are produced by our own handlers, so only inputs are validated. */
export interface Returns<T> {
  readonly __output?: T;
}
export const returns = <T>(): Returns<T> => ({});

export interface MethodSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  role: Role;
  input: I;
  output: Returns<O>;
  summary: string;
}

export const method = <I extends z.ZodType, O>(spec: MethodSpec<I, O>): MethodSpec<I, O> => spec;

export type InputOf<M> = M extends MethodSpec<infer I, unknown> ? z.input<I> : never;
export type ParsedInputOf<M> = M extends MethodSpec<infer I, unknown> ? z.output<I> : never;
export type OutputOf<M> = M extends MethodSpec<z.ZodType, infer O> ? O : never;

export interface ErrorValue {
  code: string;
  message: string;
  details?: unknown;
}
/** Errors cross every bridge as values. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorValue };
