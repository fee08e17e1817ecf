import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { defaultConfig } from '../../config/schema.js';
import { settingsFor } from '../../config/stream-settings.js';
import { ProviderPool } from './pool.js';

describe('ProviderPool (real offline engines)', () => {
  it('shares one set between equal settings, loads another for a stream that changes an engine, and closes it after its last user', async () => {
    const pool = new ProviderPool(silentLogger);
    try {
      const server = await pool.acquire(defaultConfig, { pin: true });
      const same = await pool.acquire(settingsFor(defaultConfig, { align: { maxSpeed: 1.2 } }, 'stream a'));
      expect(same.providers).toBe(server.providers); // align does not change an engine
      const other = await pool.acquire(settingsFor(defaultConfig, { tts: { wordsPerMinute: 200 } }, 'stream b'));
      expect(other.providers).not.toBe(server.providers);
      expect(pool.size).toBe(2);
      await other.release();
      expect(pool.size).toBe(1);
      await expect(other.providers.tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await same.release();
      await server.release();
      expect(pool.size).toBe(1); // pinned
      expect((await server.providers.tts.synthesize({ text: 'hola', lang: 'es' })).samples.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
    await expect(pool.acquire(defaultConfig)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
