import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { readDocuments, readQaPairs } from '../../src/worker/data/documents.ts';
import { minimalDocx, minimalPdf, storedZip } from '../fixtures/documents/build.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-docs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** The UserInputError a read rejects with; fails the test on success or any other error. */
async function inputError(read: Promise<unknown>): Promise<UserInputError> {
  const error: unknown = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserInputError);
  return error as UserInputError;
}

describe('readDocuments: formats', () => {
  it('reads .txt and .md whole, id = file name', async () => {
    expect(await readDocuments(write('a.txt', 'plain text\n'))).toEqual([
      { id: 'a.txt', text: 'plain text\n' },
    ]);
    expect(await readDocuments(write('b.md', '# Title\n\nbody'))).toEqual([
      { id: 'b.md', text: '# Title\n\nbody' },
    ]);
  });

  it('reads .jsonl "text" lines with ids <file>:<line>, skipping blank lines', async () => {
    const path = write('c.jsonl', '{"text":"one"}\n\n{"text":"two","extra":1}\n');
    expect(await readDocuments(path)).toEqual([
      { id: 'c.jsonl:1', text: 'one' },
      { id: 'c.jsonl:3', text: 'two' },
    ]);
  });

  it('reads .jsonl QA lines as question then answer', async () => {
    const path = write('qa.jsonl', '{"question":"Who?","answer":"Ada"}\n');
    expect(await readDocuments(path)).toEqual([{ id: 'qa.jsonl:1', text: 'Who?\nAda' }]);
  });

  it('reads the "text" column of a .csv, with quoted commas and newlines, ids by data row', async () => {
    const path = write('d.csv', 'id,text\n1,"hello, world"\n2,"two\nlines"\n');
    expect(await readDocuments(path)).toEqual([
      { id: 'd.csv:1', text: 'hello, world' },
      { id: 'd.csv:2', text: 'two\nlines' },
    ]);
  });

  it('reads the visible text of .html, dropping script and style', async () => {
    const path = write(
      'e.html',
      '<html><head><title>T</title><style>p{color:red}</style></head><body>' +
        '<h1>Heading</h1><p>First   <b>bold</b> para.</p><script>alert("x")</script><p>Second</p></body></html>',
    );
    const [doc] = await readDocuments(path);
    expect(doc).toEqual({ id: 'e.html', text: 'Heading\nFirst bold para.\nSecond' });
  });

  it('reads the text layer of a .pdf in-process', async () => {
    const path = write('f.pdf', minimalPdf(['Hello (PDF) world', 'second line']));
    expect(await readDocuments(path)).toEqual([
      { id: 'f.pdf', text: 'Hello (PDF) world\nsecond line' },
    ]);
  });

  it('reads the raw text of a .docx', async () => {
    const path = write('g.docx', minimalDocx(['First paragraph', 'Second paragraph']));
    expect(await readDocuments(path)).toEqual([
      { id: 'g.docx', text: 'First paragraph\n\nSecond paragraph' },
    ]);
  });
});

describe('readDocuments: folders', () => {
  it('recurses in name order with ids relative to the folder, skipping other files', async () => {
    write('b.txt', 'bee');
    write('a/z.md', 'zed');
    write('a/doc.pdf', minimalPdf(['pdf text']));
    write('c/rows.jsonl', '{"text":"row"}\n');
    write('notes.bin', 'ignored');
    write('image.png', 'ignored');
    expect(await readDocuments(dir)).toEqual([
      { id: 'a/doc.pdf', text: 'pdf text' },
      { id: 'a/z.md', text: 'zed' },
      { id: 'b.txt', text: 'bee' },
      { id: 'c/rows.jsonl:1', text: 'row' },
    ]);
  });

  it('rejects a folder with no documents, listing the extensions it looked for', async () => {
    write('x.png', 'no');
    const error = await inputError(readDocuments(dir));
    expect(error.path).toBe(dir);
    expect(error.message).toMatch(/no documents in folder.*\.txt.*\.pdf.*\.docx/);
  });
});

describe('readQaPairs', () => {
  it('reads question/answer lines with ids <file>:<line>', async () => {
    const path = write(
      'qa.jsonl',
      '{"question":"Q1","answer":"A1"}\n\n{"question":"Q2","answer":"A2"}',
    );
    expect(await readQaPairs(path)).toEqual([
      { id: 'qa.jsonl:1', question: 'Q1', answer: 'A1' },
      { id: 'qa.jsonl:3', question: 'Q2', answer: 'A2' },
    ]);
  });

  it('names the file and line of a QA line without an answer', async () => {
    const path = write('qa.jsonl', '{"question":"Q1","answer":"A1"}\n{"question":"Q2"}\n');
    for (const read of [readQaPairs, readDocuments]) {
      const error = await inputError(read(path));
      expect(error.path).toBe(path);
      expect(error.message).toContain('line 2 has a "question" but no string "answer"');
    }
  });

  it('reads TOFU’s optional paraphrased_answer and perturbed_answers; absent ones stay absent', async () => {
    const path = write(
      'qa.jsonl',
      '{"question":"Q1","answer":"A1","paraphrased_answer":"P1","perturbed_answers":["F1","F2"]}\n' +
        '{"question":"Q2","answer":"A2"}\n{"question":"Q3","answer":"A3","paraphrased_answer":"P3"}\n',
    );
    expect(await readQaPairs(path)).toEqual([
      {
        id: 'qa.jsonl:1',
        question: 'Q1',
        answer: 'A1',
        paraphrasedAnswer: 'P1',
        perturbedAnswers: ['F1', 'F2'],
      },
      { id: 'qa.jsonl:2', question: 'Q2', answer: 'A2' },
      { id: 'qa.jsonl:3', question: 'Q3', answer: 'A3', paraphrasedAnswer: 'P3' },
    ]);
  });

  it('names the line and field of malformed probe answers', async () => {
    for (const [line, field] of [
      ['{"question":"Q","answer":"A","perturbed_answers":"F"}', 'perturbed_answers'],
      ['{"question":"Q","answer":"A","perturbed_answers":[]}', 'perturbed_answers'],
      ['{"question":"Q","answer":"A","perturbed_answers":["F"," "]}', 'perturbed_answers.1'],
      ['{"question":"Q","answer":"A","paraphrased_answer":7}', 'paraphrased_answer'],
    ] as const) {
      const error = await inputError(readQaPairs(write('qa.jsonl', `${line}\n`)));
      expect(error.message, line).toContain(`line 1: "${field}"`);
    }
  });

  it('names the line of a record without a question', async () => {
    const error = await inputError(readQaPairs(write('qa.jsonl', '{"text":"not qa"}\n')));
    expect(error.message).toContain('line 1 has no string "question"');
  });

  it('rejects a file that is not .jsonl', async () => {
    const error = await inputError(readQaPairs(write('qa.csv', 'question,answer\nq,a\n')));
    expect(error.message).toContain('must be a .jsonl file');
  });
});

describe('readDocuments: bad input names the file and the reason', () => {
  it('a missing path', async () => {
    const error = await inputError(readDocuments(join(dir, 'nope.txt')));
    expect(error.message).toContain('no such file or folder');
  });

  it('an unsupported extension given as a file', async () => {
    const error = await inputError(readDocuments(write('x.rtf', 'text')));
    expect(error.message).toMatch(/unsupported document type "\.rtf"/);
  });

  it('an unreadable PDF', async () => {
    const path = write('bad.pdf', 'this is not a PDF');
    const error = await inputError(readDocuments(path));
    expect(error.path).toBe(path);
    expect(error.message).toContain('is not a readable PDF');
  });

  it('a PDF with no text layer', async () => {
    const path = write('blank.pdf', minimalPdf([]));
    const error = await inputError(readDocuments(path));
    expect(error.message).toContain('has no text layer');
  });

  it('a corrupt DOCX: not a zip, or a zip without a Word document', async () => {
    const notZip = write('bad.docx', 'this is not a zip');
    const notZipError = await inputError(readDocuments(notZip));
    expect(notZipError.path).toBe(notZip);
    expect(notZipError.message).toContain('is not a readable .docx file (not a zip archive)');

    const noBody = write('empty-zip.docx', storedZip({ 'readme.txt': 'hi' }));
    const noBodyError = await inputError(readDocuments(noBody));
    expect(noBodyError.path).toBe(noBody);
    expect(noBodyError.message).toContain('is not a readable .docx file');
  });

  it('binary data in .txt (NUL byte) and .md (invalid UTF-8)', async () => {
    const nul = write('bin.txt', Buffer.from('line one\nline\0two'));
    const nulError = await inputError(readDocuments(nul));
    expect(nulError.path).toBe(nul);
    expect(nulError.message).toContain('NUL byte on line 2');

    const latin1 = write('bin.md', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    const latin1Error = await inputError(readDocuments(latin1));
    expect(latin1Error.path).toBe(latin1);
    expect(latin1Error.message).toContain('is not UTF-8 text');
  });

  it.each([
    ['empty.txt', ''],
    ['blank.md', ' \n\t\n'],
    ['empty.jsonl', '\n\n'],
    ['empty.csv', ''],
  ])('an empty file: %s', async (name, content) => {
    const path = write(name, content);
    const error = await inputError(readDocuments(path));
    expect(error.path).toBe(path);
    expect(error.message).toContain('is empty');
  });

  it('an HTML file with no visible text', async () => {
    const error = await inputError(readDocuments(write('e.html', '<script>x()</script>')));
    expect(error.message).toContain('has no visible text');
  });

  it('an empty DOCX', async () => {
    const error = await inputError(readDocuments(write('e.docx', minimalDocx([]))));
    expect(error.message).toContain('has no text');
  });

  it('a .jsonl line that is not JSON, by line number', async () => {
    const path = write('bad.jsonl', '{"text":"ok"}\n{"text": broken\n');
    const error = await inputError(readDocuments(path));
    expect(error.path).toBe(path);
    expect(error.message).toContain('line 2 is not valid JSON');
  });

  it('a .jsonl line with neither "text" nor a QA pair', async () => {
    const error = await inputError(readDocuments(write('bad.jsonl', '{"body":"x"}\n')));
    expect(error.message).toContain('line 1 has no string "text" field');
  });

  it('a CSV without a "text" column, listing the header', async () => {
    const path = write('bad.csv', 'id,body\n1,hello\n');
    const error = await inputError(readDocuments(path));
    expect(error.path).toBe(path);
    expect(error.message).toContain('has no "text" column (header: id, body)');
  });

  it('a CSV row with an empty "text"', async () => {
    const error = await inputError(readDocuments(write('gap.csv', 'id,text\n1,a\n2,\n')));
    expect(error.message).toContain('row 2 has an empty "text" column');
  });

  it('malformed CSV', async () => {
    const error = await inputError(readDocuments(write('q.csv', 'text\n"unclosed\n')));
    expect(error.message).toContain('is not valid CSV');
  });

  it('a bad file inside a folder is named by its own path', async () => {
    write('a.txt', 'fine');
    const bad = write('sub/bad.jsonl', 'nope\n');
    const error = await inputError(readDocuments(dir));
    expect(error.path).toBe(bad);
  });
});
