/**
 * What native dialog each file purpose opens (pure data; ./native.ts shows it). The extensions
 * are the ones the worker reads (src/worker/data/formats): listing them here keeps the engine
 * out of main's imports.
 */
import type { FilePurpose, RequestOf } from '../../shared/app-api.ts';

export const DOCUMENT_EXTENSIONS = ['pdf', 'docx', 'txt', 'md', 'html', 'htm', 'csv', 'jsonl'];

interface Filter {
  name: string;
  extensions: string[];
}

const FILTERS: Record<FilePurpose, readonly Readonly<Filter>[]> = {
  model: [],
  folder: [],
  documents: [{ name: 'Documents', extensions: DOCUMENT_EXTENSIONS }],
  qa: [{ name: 'Question–answer pairs', extensions: ['jsonl', 'csv'] }],
  p12: [{ name: 'PKCS#12 certificate', extensions: ['p12', 'pfx'] }],
};

const TITLES: Record<FilePurpose, string> = {
  model: 'Choose the model folder',
  folder: 'Choose a folder',
  documents: 'Choose documents',
  qa: 'Choose question–answer pairs',
  p12: 'Choose a PKCS#12 certificate',
};

/** A model is a folder (config.json, safetensors, tokenizer); so is a plain folder. */
const isFolder = (purpose: FilePurpose): boolean => purpose === 'model' || purpose === 'folder';

export type DialogSpec =
  | {
      readonly kind: 'open';
      readonly options: {
        title: string;
        defaultPath?: string;
        filters: Filter[];
        properties: ('openFile' | 'openDirectory' | 'multiSelections' | 'createDirectory')[];
      };
    }
  | {
      readonly kind: 'save';
      readonly options: {
        title: string;
        defaultPath?: string;
        filters: Filter[];
        properties: ('createDirectory' | 'showOverwriteConfirmation')[];
      };
    };

export function dialogSpec(request: RequestOf<'files.pick'>): DialogSpec {
  const { purpose } = request;
  const base = {
    title: TITLES[purpose],
    ...(request.defaultPath === undefined ? {} : { defaultPath: request.defaultPath }),
    filters: FILTERS[purpose].map((filter) => ({ ...filter, extensions: [...filter.extensions] })),
  };
  if (request.save === true)
    return {
      kind: 'save',
      options: { ...base, properties: ['createDirectory', 'showOverwriteConfirmation'] },
    };
  return {
    kind: 'open',
    options: {
      ...base,
      properties: [
        isFolder(purpose) ? 'openDirectory' : 'openFile',
        ...(request.multiple === true && !isFolder(purpose) ? ['multiSelections' as const] : []),
        ...(isFolder(purpose) ? ['createDirectory' as const] : []),
      ],
    },
  };
}
