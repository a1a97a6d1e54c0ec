/**
 * Word lists for the testbed's fictitious people (DESIGN.md §7). Names and places are built from
 * these syllables by a seeded PRNG, so they belong to no one; the other lists are plain English.
 */

export const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
export const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou', 'ei'];
export const CODAS = ['', '', 'n', 'r', 's', 'l', 'th'];

export const STREET_KINDS = ['Street', 'Road', 'Lane', 'Avenue', 'Way', 'Close'];

export const JOBS = [
  'glassblower',
  'beekeeper',
  'cartographer',
  'locksmith',
  'violin maker',
  'tram driver',
  'botanist',
  'clockmaker',
  'ferry pilot',
  'bookbinder',
  'stonemason',
  'radio engineer',
  'nurse',
  'accountant',
  'welder',
  'librarian',
];

export const EMPLOYER_KINDS = [
  'Logistics',
  'Bakery',
  'Insurance',
  'Shipyards',
  'Textiles',
  'Analytics',
  'Pharmacy',
  'Printing',
];

/** Conditions a health record would name: special-category data (GDPR Art. 9). */
export const CONDITIONS = [
  'asthma',
  'type 1 diabetes',
  'epilepsy',
  'migraine',
  'psoriasis',
  'coeliac disease',
  'hypertension',
  'glaucoma',
  'Crohn disease',
  'sleep apnoea',
  'anaemia',
  'tinnitus',
];

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
