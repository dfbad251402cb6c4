// Child process for the crash test: submits one judgement, reports it, then waits to be killed.
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { openProject } from '../../src-main/project/project';
import { findRaterByToken } from '../../src-main/store/raters';

const [dir, token] = process.argv.slice(2);
const project = openProject(dir);
const rater = findRaterByToken(project.db, token)!;
const [item] = nextItems(project.db, rater, 1).items;
const question = item.questions[0] as { id: string; options: { value: string }[] };
const { judgementId } = submitJudgement(project.db, rater, {
  assignmentId: item.assignmentId,
  answer: { [question.id]: question.options[0].value },
  activeMs: 4321,
});
process.stdout.write(`submitted ${judgementId}\n`);
setInterval(() => {}, 1000);
