// What the demo's tiny LLaVA-NeXT says (issues 13 and 14): asked "What is shown in this image?" about a
// pictogram, or told "The image shows a <class>." in text, it answers with one fixed sentence about
// that class, and nothing else. The words, the vocabulary and the successor table the weights are built
// from (tiny-weights.ts) are derived here from the sentences, so changing a sentence changes the model.
import { PICTOGRAM_CLASSES, type PictogramClass } from './pictograms';

/**
 * One sentence per class. A word shared by several sentences must be followed either by the same
 * word in all of them ("It is a") or by a word of each sentence's own ("in clear" / "in tiny"): the
 * model picks among a word's successors by the topic it read from the prompt, and only a word that
 * occurs in one sentence carries a topic.
 * No sentence names a class: the class words are the prompt's, and the model looks them up.
 */
export const TINY_SENTENCES: Record<PictogramClass, string> = {
  goldfish: 'It is a small orange fish swimming in clear water',
  'tabby cat': 'It is a striped grey kitten with green eyes and pointed ears',
  'school bus': 'It is a long yellow vehicle that carries children every morning',
  strawberry: 'It is a ripe red fruit covered in tiny seeds',
  volcano: 'It is a tall mountain pouring hot lava and smoke',
  'golden retriever': 'It is a friendly golden dog that loves to fetch',
};

export const UNK = '<unk>';
export const BOS = '<s>';
export const EOS = '</s>';
/** LLaVA's placeholder: the prompt's one <image> token, expanded to the image's positions. */
export const IMAGE_TOKEN = '<image>';
const PROMPT_WORDS = ['The', 'image', 'shows', 'a'];
const FULL_STOP = '.';
/** The question asked about an image (the prompt `sightline capture` uses by default, issue 14). */
export const TINY_IMAGE_PROMPT = `${IMAGE_TOKEN}\nWhat is shown in this image?`;
const QUESTION_WORDS = ['What', 'is', 'shown', 'in', 'this', 'image'];
const QUESTION_MARK = '?';

export const tinyPromptOf = (className: PictogramClass): string => `The image shows a ${className}.`;

/** The word of a class name the model looks up: its last ("cat" of "tabby cat"). */
export const classWordOf = (className: PictogramClass): string => className.split(' ').at(-1)!;

export interface TinyScript {
  /** token strings by id: the specials, the prompts' words, the class names' words, the sentences' words, <image> */
  vocab: string[];
  /** classes in the order of their concept directions */
  classes: readonly PictogramClass[];
  /** the word -> the words that may follow it (EOS after a sentence's last word, and after EOS) */
  successors: Map<string, Set<string>>;
  /** a word that occurs in one sentence only -> its class (the topic that selects it) */
  topicOf: Map<string, PictogramClass>;
}

function wordsOf(sentence: string): string[] {
  return sentence.split(' ');
}

/** Builds the vocabulary and successor table; throws if the sentences break the rule above. */
export function tinyScript(sentences: Record<PictogramClass, string> = TINY_SENTENCES): TinyScript {
  const vocab: string[] = [UNK, BOS, EOS];
  const add = (word: string) => {
    if (!vocab.includes(word)) vocab.push(word);
  };
  for (const word of [...PROMPT_WORDS, FULL_STOP, ...QUESTION_WORDS, QUESTION_MARK]) add(word);
  for (const className of PICTOGRAM_CLASSES) for (const word of className.split(' ')) add(word);
  const classWords = new Set(PICTOGRAM_CLASSES.map(classWordOf));
  const sentenceCount = new Map<string, number>();
  for (const className of PICTOGRAM_CLASSES) {
    const words = wordsOf(sentences[className]);
    if (new Set(words).size !== words.length) throw new Error(`tiny model: "${className}" repeats a word`);
    for (const word of words) {
      if (classWords.has(word)) throw new Error(`tiny model: "${className}" uses the class word "${word}"`);
      add(word);
      sentenceCount.set(word, (sentenceCount.get(word) ?? 0) + 1);
    }
  }
  const topicOf = new Map<string, PictogramClass>();
  const successors = new Map<string, Set<string>>();
  const follow = (word: string, next: string) => {
    const set = successors.get(word) ?? new Set<string>();
    set.add(next);
    successors.set(word, set);
  };
  // The text prompt ends with a full stop, the image prompt with a question mark; the answer starts after.
  follow(FULL_STOP, wordsOf(sentences[PICTOGRAM_CLASSES[0]])[0]);
  follow(QUESTION_MARK, wordsOf(sentences[PICTOGRAM_CLASSES[0]])[0]);
  for (const className of PICTOGRAM_CLASSES) {
    const words = wordsOf(sentences[className]);
    if (words[0] !== wordsOf(sentences[PICTOGRAM_CLASSES[0]])[0])
      throw new Error('tiny model: every sentence starts with the same word');
    words.forEach((word, i) => {
      follow(word, words[i + 1] ?? EOS);
      if (sentenceCount.get(word) === 1) topicOf.set(word, className);
    });
  }
  follow(EOS, EOS);
  add(IMAGE_TOKEN);
  for (const [word, next] of successors) {
    const own = [...next].every((w) => topicOf.has(w));
    const topics = new Set([...next].map((w) => topicOf.get(w)));
    if (next.size > 1 && !(own && topics.size === next.size))
      throw new Error(`tiny model: after "${word}" comes ${[...next].join(' / ')}: not one word, nor one per sentence`);
  }
  return { vocab, classes: PICTOGRAM_CLASSES, successors, topicOf };
}
