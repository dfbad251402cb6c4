import type { Contract, MethodName, MethodOutput, MethodParsedInput } from '../contract';
import type { ApiContext } from './context';

export type Handler<K extends MethodName> = (
  input: MethodParsedInput<K>,
  context: ApiContext,
) => MethodOutput<K> | Promise<MethodOutput<K>>;

/** Handlers for a slice of the contract, declared next to their domain (Actual Budget's pattern). */
export type HandlersFor<M extends Partial<Contract>> = { [K in keyof M & MethodName]: Handler<K> };

export type Handlers = HandlersFor<Contract>;
