/**
 * The Porter stemmer (Porter 1980, "An algorithm for suffix stripping", Program 14(3)) as NLTK's
 * `PorterStemmer()` applies it by default (mode NLTK_EXTENSIONS, checked against nltk 3.8): the
 * stemmer behind rouge_score's `use_stemmer=True`, which TOFU and open-unlearning use for
 * ROUGE-L. Byte-identical stems matter: a ROUGE score from another stemmer is another number.
 *
 * NLTK's departures from the 1980 paper, all reproduced here:
 * - a table of irregular forms (`skies` → `sky`, `dying` → `die`, `news` stays, ...);
 * - words of at most two letters are returned as they are;
 * - step 1a: a four-letter word in `-ies` becomes `-ie` (`ties` → `tie`);
 * - step 1b: `-ied` becomes `-ie` in four-letter words and `-i` otherwise, and nothing else of
 *   step 1b runs;
 * - condition *o also holds for a two-letter vowel–consonant stem;
 * - step 1c: `y` → `i` only after a consonant that is not the word's first letter;
 * - step 2: `-alli` → `-al` and then step 2 again, `-bli` → `-ble` (not `-abli`), and the extra
 *   rules `-fulli` → `-ful` and `-logi` → `-log` (the latter when the word minus `ogi` has m > 0).
 *
 * Rule lists work as NLTK's: the first rule whose suffix the word ends with decides; when its
 * condition fails the word is left unchanged (later rules of the list are not tried).
 *
 * Input: a lowercase word. Letters other than a, e, i, o, u and y (digits included) count as
 * consonants, as in NLTK.
 */

// A Map, not an object literal: `constructor` and the like must not hit Object.prototype.
const IRREGULAR: ReadonlyMap<string, string> = new Map(
  Object.entries({
    skies: 'sky',
    sky: 'sky',
    dying: 'die',
    lying: 'lie',
    tying: 'tie',
    news: 'news',
    innings: 'inning',
    inning: 'inning',
    outings: 'outing',
    outing: 'outing',
    cannings: 'canning',
    canning: 'canning',
    howe: 'howe',
    proceed: 'proceed',
    exceed: 'exceed',
    succeed: 'succeed',
  }),
);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** The paper's consonant: not a vowel, and `y` only when not preceded by a consonant. */
function isConsonant(word: string, i: number): boolean {
  const ch = word[i]!;
  if (VOWELS.has(ch)) return false;
  if (ch === 'y') return i === 0 ? true : !isConsonant(word, i - 1);
  return true;
}

/** m in [C](VC)^m[V]: the number of vowel→consonant transitions. */
function measure(stem: string): number {
  let m = 0;
  for (let i = 1; i < stem.length; i++) {
    if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) m++;
  }
  return m;
}

const positiveMeasure = (stem: string): boolean => measure(stem) > 0;
const measureAboveOne = (stem: string): boolean => measure(stem) > 1;

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

/** Condition *d: the word ends in a doubled consonant. */
function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && isConsonant(word, n - 1);
}

/** Condition *o: consonant–vowel–consonant, the last not w, x or y (NLTK: or a two-letter VC). */
function endsCvc(word: string): boolean {
  const n = word.length;
  if (n >= 3) {
    if (
      isConsonant(word, n - 3) &&
      !isConsonant(word, n - 2) &&
      isConsonant(word, n - 1) &&
      !'wxy'.includes(word[n - 1]!)
    )
      return true;
  }
  return n === 2 && !isConsonant(word, 0) && isConsonant(word, 1);
}

/** A suffix rule: replace `suffix` by `replacement` when `when(stem)` holds (always if absent). */
type Rule = readonly [suffix: string, replacement: string, when?: (stem: string) => boolean];

function applyFirstMatch(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, when] of rules) {
    if (!word.endsWith(suffix)) continue;
    const stem = word.slice(0, word.length - suffix.length);
    return when === undefined || when(stem) ? stem + replacement : word;
  }
  return word;
}

function step1a(word: string): string {
  if (word.length === 4 && word.endsWith('ies')) return `${word.slice(0, 1)}ie`;
  return applyFirstMatch(word, [
    ['sses', 'ss'],
    ['ies', 'i'],
    ['ss', 'ss'],
    ['s', ''],
  ]);
}

function step1b(word: string): string {
  if (word.endsWith('ied'))
    return word.length === 4 ? `${word.slice(0, 1)}ie` : `${word.slice(0, -3)}i`;
  if (word.endsWith('eed')) {
    const stem = word.slice(0, -3);
    return measure(stem) > 0 ? `${stem}ee` : word;
  }
  let stem: string | undefined;
  for (const suffix of ['ed', 'ing']) {
    if (word.endsWith(suffix) && containsVowel(word.slice(0, -suffix.length))) {
      stem = word.slice(0, -suffix.length);
      break;
    }
  }
  if (stem === undefined) return word;
  // After -ed/-ing came off: restore an e that later steps can remove, or undouble.
  for (const [suffix, replacement] of [
    ['at', 'ate'],
    ['bl', 'ble'],
    ['iz', 'ize'],
  ] as const) {
    if (stem.endsWith(suffix)) return stem.slice(0, -suffix.length) + replacement;
  }
  if (endsDoubleConsonant(stem)) {
    return 'lsz'.includes(stem[stem.length - 1]!) ? stem : stem.slice(0, -1);
  }
  return measure(stem) === 1 && endsCvc(stem) ? `${stem}e` : stem;
}

function step1c(word: string): string {
  return applyFirstMatch(word, [
    ['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)],
  ]);
}

function step2(word: string): string {
  if (word.endsWith('alli') && positiveMeasure(word.slice(0, -4))) {
    return step2(`${word.slice(0, -4)}al`);
  }
  return applyFirstMatch(word, [
    ['ational', 'ate', positiveMeasure],
    ['tional', 'tion', positiveMeasure],
    ['enci', 'ence', positiveMeasure],
    ['anci', 'ance', positiveMeasure],
    ['izer', 'ize', positiveMeasure],
    ['bli', 'ble', positiveMeasure],
    ['alli', 'al', positiveMeasure],
    ['entli', 'ent', positiveMeasure],
    ['eli', 'e', positiveMeasure],
    ['ousli', 'ous', positiveMeasure],
    ['ization', 'ize', positiveMeasure],
    ['ation', 'ate', positiveMeasure],
    ['ator', 'ate', positiveMeasure],
    ['alism', 'al', positiveMeasure],
    ['iveness', 'ive', positiveMeasure],
    ['fulness', 'ful', positiveMeasure],
    ['ousness', 'ous', positiveMeasure],
    ['aliti', 'al', positiveMeasure],
    ['iviti', 'ive', positiveMeasure],
    ['biliti', 'ble', positiveMeasure],
    ['fulli', 'ful', positiveMeasure],
    // The condition looks at the word without "ogi", not without "logi" (NLTK's rule).
    ['logi', 'log', () => positiveMeasure(word.slice(0, -3))],
  ]);
}

function step3(word: string): string {
  return applyFirstMatch(word, [
    ['icate', 'ic', positiveMeasure],
    ['ative', '', positiveMeasure],
    ['alize', 'al', positiveMeasure],
    ['iciti', 'ic', positiveMeasure],
    ['ical', 'ic', positiveMeasure],
    ['ful', '', positiveMeasure],
    ['ness', '', positiveMeasure],
  ]);
}

function step4(word: string): string {
  return applyFirstMatch(word, [
    ['al', '', measureAboveOne],
    ['ance', '', measureAboveOne],
    ['ence', '', measureAboveOne],
    ['er', '', measureAboveOne],
    ['ic', '', measureAboveOne],
    ['able', '', measureAboveOne],
    ['ible', '', measureAboveOne],
    ['ant', '', measureAboveOne],
    ['ement', '', measureAboveOne],
    ['ment', '', measureAboveOne],
    ['ent', '', measureAboveOne],
    ['ion', '', (stem) => measureAboveOne(stem) && 'st'.includes(stem[stem.length - 1]!)],
    ['ou', '', measureAboveOne],
    ['ism', '', measureAboveOne],
    ['ate', '', measureAboveOne],
    ['iti', '', measureAboveOne],
    ['ous', '', measureAboveOne],
    ['ive', '', measureAboveOne],
    ['ize', '', measureAboveOne],
  ]);
}

function step5a(word: string): string {
  if (!word.endsWith('e')) return word;
  const stem = word.slice(0, -1);
  const m = measure(stem);
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : word;
}

function step5b(word: string): string {
  return word.endsWith('ll') && measure(word.slice(0, -1)) > 1 ? word.slice(0, -1) : word;
}

/** The stem of a lowercase word, as nltk's `PorterStemmer().stem(word)`. */
export function porterStem(word: string): string {
  const irregular = IRREGULAR.get(word);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return word;
  let stem = word;
  for (const step of [step1a, step1b, step1c, step2, step3, step4, step5a, step5b]) {
    stem = step(stem);
  }
  return stem;
}
