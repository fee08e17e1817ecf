// Project events in one process and across processes (two buses on the real Redis stand for two machines).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../store/testing/backends.js';
import { LocalEventBus, RedisEventBus } from './events.js';
import type { ProjectEvent } from './types.js';

const event = (progress: number): ProjectEvent => ({ type: 'progress', projectId: 'p', jobId: 'j', stage: 'translate', lang: 'es', progress });

async function until(ok: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('project events', () => {
  it('the local bus delivers to every subscriber until it unsubscribes; a throwing listener harms no one', async () => {
    const bus = new LocalEventBus();
    const a: ProjectEvent[] = [];
    const b: ProjectEvent[] = [];
    bus.subscribe(() => {
      throw new Error('bad listener');
    });
    const offA = bus.subscribe((e) => a.push(e));
    bus.subscribe((e) => b.push(e));
    bus.publish(event(0.5));
    offA();
    bus.publish(event(1));
    expect(a).toEqual([event(0.5)]);
    expect(b).toEqual([event(0.5), event(1)]);
    await bus.close();
  });

  it('on Redis, what a worker publishes reaches the API process, and nothing crosses to another key prefix', async () => {
    const keyPrefix = `dubd_test_${randomBytes(6).toString('hex')}:`;
    const worker = await RedisEventBus.open({ redisUrl: TEST_REDIS_URL, keyPrefix });
    const api = await RedisEventBus.open({ redisUrl: TEST_REDIS_URL, keyPrefix });
    const other = await RedisEventBus.open({ redisUrl: TEST_REDIS_URL, keyPrefix: `${keyPrefix}other:` });
    try {
      const heard: ProjectEvent[] = [];
      const strayed: ProjectEvent[] = [];
      api.subscribe((e) => heard.push(e));
      other.subscribe((e) => strayed.push(e));
      worker.publish(event(0.25));
      worker.publish({ type: 'status', projectId: 'p', status: 'done', error: null });
      await until(() => heard.length === 2);
      expect(heard).toEqual([event(0.25), { type: 'status', projectId: 'p', status: 'done', error: null }]);
      expect(strayed).toEqual([]);
    } finally {
      await Promise.all([worker.close(), api.close(), other.close()]);
    }
    worker.publish(event(1)); // after close: dropped, not thrown
  });

  it('a Redis that is not there is one clear error', async () => {
    await expect(RedisEventBus.open({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'x:', connectTimeoutMs: 500 })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
