import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { ConfigSource } from './config-model.js';
import { errorMessage } from '../../shared/errors.js';

/**
 * Config files from the real file system, judged as logrotate judges them
 * before reading: not a regular file, writable by group or others, or owned by
 * someone other than root (or the user logrotate runs as) means ignored.
 */
export function fsConfigSource(runAsUid = 0): ConfigSource {
  return {
    readFile(path) {
      let st;
      try {
        st = statSync(path);
      } catch (err) {
        return { error: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(err) };
      }
      let ignored: string | null = null;
      if (!st.isFile()) ignored = 'not a regular file';
      else if (st.mode & 0o022)
        ignored = `writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
      else if (st.uid !== 0 && st.uid !== runAsUid) ignored = `owned by uid ${st.uid}, not root`;
      if (!st.isFile()) return { text: '', ignored };
      try {
        return { text: readFileSync(path, 'utf8'), ignored };
      } catch (err) {
        return { error: errorMessage(err) };
      }
    },
    listDir(path) {
      let st;
      try {
        st = statSync(path);
      } catch (err) {
        return {
          error: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : errorMessage(err),
        };
      }
      if (!st.isDirectory()) return null;
      try {
        return readdirSync(path);
      } catch (err) {
        return { error: errorMessage(err) };
      }
    },
  };
}
