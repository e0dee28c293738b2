// Saves a file of the API to the person's disk: the API needs the bearer header, which a plain
// link cannot send, so the file is fetched and handed over as an object URL.
import type { RecordingsApi } from './api';

export async function download(api: RecordingsApi, path: string, fileName: string): Promise<void> {
  const blob = await (await api.raw(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
