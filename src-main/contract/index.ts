// The one contract: every API method and event of Sightline. Bridges (IPC, HTTP, CLI) and the
// renderer's client are all derived from this map. It imports nothing runtime-specific.
import { campaignMethods } from './campaigns';
import { captureMethods } from './capture';
import { probeMethods } from './probes';
import type { InputOf, MethodSpec, OutputOf, ParsedInputOf } from './define';
import { featureMethods } from './features';
import { importMethods } from './imports';
import { jobMethods } from './jobs';
import { modelMethods } from './models';
import { steerMethods } from './steer';
import { sweepMethods } from './sweeps';
import { vectorMethods } from './vectors';
import { projectMethods } from './project';
import { raterMethods } from './rater';
import { resultsMethods } from './results';

export const contract = {
  ...projectMethods,
  ...featureMethods,
  ...campaignMethods,
  ...raterMethods,
  ...resultsMethods,
  ...jobMethods,
  ...modelMethods,
  ...vectorMethods,
  ...sweepMethods,
  ...steerMethods,
  ...importMethods,
  ...captureMethods,
  ...probeMethods,
} satisfies Record<string, MethodSpec>;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<K extends MethodName> = InputOf<Contract[K]>;
export type MethodParsedInput<K extends MethodName> = ParsedInputOf<Contract[K]>;
export type MethodOutput<K extends MethodName> = OutputOf<Contract[K]>;

export const methodNames = Object.keys(contract) as MethodName[];

/** The IPC channel prefix: the shell refuses any channel without it. */
export const IPC_PREFIX = 'sightline:';

export type { Result, ErrorValue, Role } from './define';
export type * from './types';
export type * from './results';
export type * from './models';
export type * from './vectors';
export type * from './steer';
export type * from './imports';
export type * from './probes';
export type * from './capture';
