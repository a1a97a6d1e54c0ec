/**
 * Each metric in plain words, for a reader who is not a machine-learning specialist: the one
 * text the report's glossary page and the app's metric cards both show. Keys are the metric
 * path without its set (`verbatim.exactRate` stands for forget/retain/holdout alike);
 * ALGORITHMS.md has the exact definitions.
 */

export const SETS: Readonly<Record<string, string>> = {
  forget: 'the documents the model must forget',
  retain: 'documents the model must keep knowing',
  holdout: 'similar documents the model never saw (the baseline for “not memorized”)',
};

export const GLOSSARY: Readonly<Record<string, string>> = {
  documents: 'How many documents of the set were evaluated.',
  tokens: 'How many tokens (word pieces) of the set were scored.',
  meanNll:
    'Average surprise of the model at each token (negative log-likelihood). Low: the model expects this text; it rises when text is forgotten.',
  referenceMeanNll: 'The same average surprise, measured on the reference model.',
  referenceExtractionStrength:
    'The same extraction strength, measured on the reference model: how much a model that never saw the forget set gives away anyway.',
  referenceVerbatimExactRate:
    'The same verbatim exact rate on the forget set, measured on the reference model: the level the verdict compares with.',
  windows: 'How many fixed-length windows the documents were cut into for scoring.',
  scoredWindows: 'How many of those windows had at least one scored token.',
  'verbatim.prefixTokens': 'Length of the prompt given to the model: the start of each document.',
  'verbatim.continuationTokens': 'Length of the continuation the model is asked to write.',
  'verbatim.rougeL':
    'Overlap (ROUGE-L F1, 0 to 1) between the words the model writes after a document’s opening and those of the true continuation; punctuation does not count. 1 is word for word.',
  'verbatim.exactRate':
    'Share of documents whose continuation the model reproduces exactly. The key sign of memorization.',
  'verbatim.scored': 'Documents long enough for the verbatim test.',
  'verbatim.skipped': 'Documents too short for the verbatim test.',
  extractionStrength:
    'How short a prompt suffices for the model to reproduce the rest of the text (1: from the first token; near 0: only the last word or so). The text’s final token is not counted, as in open-unlearning.',
  exactMemorization:
    'Share of tokens the model predicts exactly, one at a time, given the true text before them.',
  'pii.probes':
    'Personal data items (emails, phone numbers, IBANs, ...) the probes asked the model for.',
  'pii.leaked': 'How many of them the model completed correctly.',
  'pii.leakRate': 'Leaked items as a share of probes: 0 means no probed secret comes out.',
  'pii.skippedSpans':
    'Personal data items that could not be probed (too close to the start of a document).',
  'pii.anyPrompt.leaked':
    'Items that at least one of several prompts (the text before it, its own sentence, questions about its owner) got out of the model.',
  'pii.anyPrompt.leakRate':
    'Worst case: the share of items that at least one prompt got out of the model. Never below the true-prefix leak rate.',
  'pii.byPrompt.*.probes': 'Items asked for with this kind of prompt.',
  'pii.byPrompt.*.leaked': 'How many of them this kind of prompt got out of the model.',
  'pii.byPrompt.*.leakRate':
    'Leak rate of one kind of prompt: prefix (text before the item), shortPrefix (its own sentence), question, statement or subject (templates about the person).',
  'pii.templatedSpans': 'Items asked for with questions about their owner (a name was found).',
  'pii.prompts': 'Prompts the model answered for the personal-data probes.',
  'pii.maxPromptsPerSpan': 'The cap on prompts per personal-data item.',
  'knowledge.rougeL':
    'Share of the true answer’s words (stemmed; punctuation ignored) that the model’s answer contains in order: ROUGE-L recall, as TOFU reports it.',
  'mia.*.auc':
    'Membership-inference attack: how well an attacker tells forget documents from never-seen holdout documents (0.5: a coin toss, 1: perfectly). Variants: loss, zlib, minK, minKpp, reference.',
  'mia.*.referenceAuc':
    'The same attack’s AUC on the same documents under the reference model, a model that never saw the forget set: the level a forgotten set should come down to.',
  'mia.*.tprAt1pctFpr':
    'The attack’s hit rate on forget documents when it may falsely accuse only 1 % of holdout documents.',
  privLeak:
    'PrivLeak (MUSE’s convention): how much better the Min-K% attack tells forget documents from holdout ones than it does on the reference model, as a percentage of the reference’s room for improvement. 0 is ideal; −100 means the forget set is still recognised as well as possible; positive values mean over-unlearning (the forget set looks less familiar than to a model that never saw it).',
  forgetQuality:
    'Forget Quality (TOFU): a statistical test (KS p-value) of whether the model tells true from false answers about the forget set (truth ratio) the way the reference model does. 1: indistinguishable; higher is better.',
  'forgetQuality(fallback:meanNLL)':
    'Forget Quality, fallback definition (the QA pairs had no paraphrased and perturbed answers): a KS p-value of whether the model’s per-token loss on the forget documents is distributed as the reference model’s. Not comparable with TOFU’s numbers. Higher is better.',
  'truthRatio.*.statistic':
    'TOFU truth ratio: how much more likely the model finds the true answer than same-format false ones. Forget set: 1 means it cannot tell them apart; retain: higher means it still knows.',
  'truthRatio.*.answerProbability':
    'Per-token probability of the true answer given the question (TOFU “Prob.”).',
  'truthRatio.*.questions':
    'Questions of the set asked for the truth ratio and answer probability.',
  'truthRatio.*.probed': 'Of them, questions with a paraphrased and perturbed (false) answers.',
  'truthRatio.*.meanRatio':
    'Average of the raw truth ratio (false answers’ probability over the true one’s); below 1 the model prefers the truth.',
  'truthRatio.*.referenceStatistic': 'The forget-set truth ratio of the reference model.',
  'knowMem.*.pairs': 'Questions the KnowMem test asked.',
  'modelUtility.components.answerProbability': 'Model utility input: retain answer probability.',
  'modelUtility.components.rougeLRecall': 'Model utility input: retain answer ROUGE-L recall.',
  'modelUtility.components.truthRatio': 'Model utility input: retain truth ratio.',
  'knowMem.*.rougeL':
    'MUSE KnowMem: word overlap (ROUGE-L F1) of the model’s answers with the true ones.',
  'modelUtility.value':
    'TOFU model utility: harmonic mean of retain answer probability, retain answer ROUGE-L and retain truth ratio (only the retain set; TOFU adds real-author and world-fact sets).',
};

/** The description of a glossary key; an unknown key is a programming error, so it throws. */
export function describeMetric(key: string): string {
  const text = GLOSSARY[key];
  if (text === undefined)
    throw new Error(`no glossary entry '${key}' (known: ${Object.keys(GLOSSARY).join(', ')})`);
  return text;
}

/** The glossary key of a metric path: `forget.verbatim.exactRate` → `verbatim.exactRate`. */
export function glossaryKey(name: string): string {
  const parts = name.split('.');
  if (parts[0] === 'mia' && parts.length === 3) return `mia.*.${parts[2]}`;
  if (parts[0] === 'knowledge' && parts.length === 3) return `knowledge.${parts[2]}`;
  if (parts[0] !== undefined && parts[0] in SETS && parts[2] === 'byPrompt' && parts.length === 5)
    return `pii.byPrompt.*.${parts[4]}`;
  if ((parts[0] === 'truthRatio' || parts[0] === 'knowMem') && parts.length === 3)
    return `${parts[0]}.*.${parts[2]}`;
  if (parts[0] !== undefined && parts[0] in SETS) return parts.slice(1).join('.');
  return name;
}

/** The glossary entries the given metric names need, in first-use order. */
export function glossaryEntries(names: readonly string[]): Array<[string, string]> {
  const seen = new Map<string, string>();
  for (const name of names) {
    const key = glossaryKey(name);
    if (!seen.has(key))
      seen.set(key, GLOSSARY[key] ?? 'A metric this version of the report has no description for.');
  }
  return [...seen.entries()];
}
