/**
 * Dropped files → server paths. Electron gives the file's own path; the browser transport has
 * no paths, so the file is read and sent with files.upload (stored under the workspace).
 */
import { api } from './bridge.ts';

const UPLOAD_LIMIT = 64 * 2 ** 20;

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () =>
      reject(new Error(`Could not read ${file.name}: ${reader.error?.message ?? 'unknown error'}`));
    reader.readAsDataURL(file);
  });
}

export async function droppedPaths(files: File[]): Promise<string[]> {
  const paths: string[] = [];
  for (const file of files) {
    const local = api.pathForFile(file);
    if (local) {
      paths.push(local);
      continue;
    }
    if (file.size > UPLOAD_LIMIT)
      throw new Error(
        `${file.name} is larger than 64 MiB; use "Add files…" to choose it on the server instead.`,
      );
    const uploaded = await api.call('files.upload', {
      name: file.name,
      dataBase64: await readBase64(file),
    });
    paths.push(uploaded.path);
  }
  return paths;
}
