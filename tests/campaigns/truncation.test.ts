// "What the rater saw (... truncation)" is stored with each assignment: the server's rule for a
// collapsed text example agrees with the renderer's token window, and nextItems records it.
import { describe, expect, it } from 'vitest';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { COLLAPSED_WINDOW_TOKENS, showsCollapsedText } from '../../src-main/domain/templates/truncation';
import { insertCampaign } from '../../src-main/store/campaigns';
import { DEFAULT_WINDOW, tokenWindow } from '../../src-renderer/src/examples/token-window';
import { makeProject, makeRater } from '../helpers/factories';

const tokens = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ token: ` t${index}`, value: index === 3 ? 2.5 : 0 }));
const example = (count: number) => ({
  id: count,
  documentId: count,
  bucket: 'top',
  rank: 0,
  maxActivation: 2.5,
  tokens: tokens(count),
  image: null,
});

describe('collapsed text examples', () => {
  it('the server collapses exactly the texts the renderer collapses', () => {
    expect(COLLAPSED_WINDOW_TOKENS).toBe(DEFAULT_WINDOW);
    for (let count = 0; count <= 40; count++) {
      expect(showsCollapsedText({ feature: { examples: [example(count)] } }), `${count} tokens`).toBe(
        tokenWindow(tokens(count)).truncated,
      );
    }
  });

  it('each assignment records whether the rater saw a collapsed text, and the judgement keeps it', () => {
    const project = makeProject();
    const items = [8, 40].map((count) => ({
      payload: { feature: { featureIndex: count, examples: [example(5), example(count)] } },
    }));
    const campaignId = insertCampaign(
      project.db,
      {
        name: 'labels',
        template: BUILTIN_TEMPLATES['feature-label'],
        instructions: '',
        overlap: 1,
        leaseSeconds: 600,
        seed: 3,
        orderMode: 'fixed',
      },
      items,
    );
    const rater = makeRater(project, campaignId, 'ana');
    const recorded: boolean[] = [];
    for (const item of nextItems(project.db, rater, 2).items) {
      const answer = Object.fromEntries(
        item.questions.map((question) => [
          question.id,
          question.type === 'text'
            ? 'loops'
            : question.type === 'scale'
              ? question.min
              : question.type === 'choice'
                ? question.options[0].value
                : null,
        ]),
      );
      const { judgementId } = submitJudgement(project.db, rater, {
        assignmentId: item.assignmentId,
        answer,
        activeMs: 10,
      });
      recorded.push(
        JSON.parse(
          project.db.prepare('SELECT shown_json FROM judgements WHERE id = ?').pluck().get(judgementId) as string,
        ).truncated,
      );
    }
    expect(recorded).toEqual([false, true]);
  });
});
