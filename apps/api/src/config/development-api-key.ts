import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Outside production, with no SAGA_API_KEYS, one key is generated on first start and kept
 * under DATA_DIR so that it survives restarts (and the UI link printed at start keeps working).
 */
export function developmentApiKey(dataDir: string): string {
  const file = path.join(dataDir, 'api-key');
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return key;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = `sk_dev_${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
