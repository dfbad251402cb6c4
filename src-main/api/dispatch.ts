import { contract, type MethodName, type Result } from '../contract';
import { findRaterByToken } from '../store/raters';
import { AppError, toErrorValue } from '../util/errors';
import { secretsEqual } from '../util/secret-equal';
import { campaignHandlers } from './campaign-handlers';
import type { ApiContext, Caller } from './context';
import { featureHandlers } from './feature-handlers';
import type { Handlers } from './handlers';
import { importHandlers } from './import-handlers';
import { jobHandlers } from './job-handlers';
import { modelHandlers } from './model-handlers';
import { projectHandlers } from './project-handlers';
import { raterHandlers } from './rater-handlers';
import { resultsHandlers } from './results-handlers';
import { steerHandlers } from './steer-handlers';
import { sweepHandlers } from './sweep-handlers';
import { captureHandlers } from './capture-handlers';
import { probeHandlers } from './probe-handlers';
import { vectorHandlers } from './vector-handlers';

export const handlers: Handlers = {
  ...projectHandlers,
  ...featureHandlers,
  ...campaignHandlers,
  ...raterHandlers,
  ...resultsHandlers,
  ...jobHandlers,
  ...modelHandlers,
  ...vectorHandlers,
  ...sweepHandlers,
  ...captureHandlers,
  ...probeHandlers,
  ...steerHandlers,
  ...importHandlers,
};

export const isMethodName = (name: string): name is MethodName => Object.hasOwn(contract, name);

/**
 * Who holds this token: the researcher (the token the shell or server was started with) or an
 * active rater. Unknown and revoked tokens are nobody. The researcher token is compared in constant
 * time (util/secret-equal.ts); a rater token is found by its index in SQLite.
 */
export function authenticate(
  context: Omit<ApiContext, 'caller'>,
  token: string | undefined,
  researcherToken: string,
): Caller | null {
  if (!token) return null;
  if (secretsEqual(token, researcherToken)) return { role: 'researcher' };
  const rater = findRaterByToken(context.project.db, token);
  // A disqualified rater may still open their session (to be told so); a revoked one is nobody.
  return rater && rater.status !== 'revoked' ? { role: 'rater', rater } : null;
}

/**
 * The one entry point every bridge uses: look up the method, check the caller's role, validate the
 * input against the contract's schema, run the handler, and turn any failure into an error value.
 */
export async function dispatch(name: string, rawInput: unknown, context: ApiContext): Promise<Result<unknown>> {
  try {
    if (!isMethodName(name)) throw new AppError('not_found', `method ${name}: no such method`);
    const spec = contract[name];
    if (spec.role !== context.caller.role) {
      throw new AppError('forbidden', `method ${name}: needs a ${spec.role} token`);
    }
    const parsed = spec.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      const summary = issues.map((issue) => `${issue.path || '(input)'}: ${issue.message}`).join('; ');
      throw new AppError('invalid_input', `${name}: ${summary}`, { issues });
    }
    const handler = handlers[name] as (input: unknown, context: ApiContext) => unknown;
    return { ok: true, value: await handler(parsed.data, context) };
  } catch (error) {
    return { ok: false, error: toErrorValue(error) };
  }
}
