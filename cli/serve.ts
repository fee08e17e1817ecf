/**
 * `dubd serve` (what `npm start` runs): the live server. Prints where OBS publishes and where viewers
 * watch, and on the very first start the admin's one-time password (on stdout, once: only its hash is
 * kept); stops cleanly on Ctrl-C / SIGTERM.
 */
import { userMessage } from '../pipeline/errors.js';
import { projectsApiModule } from '../realtime/api/projects-routes.js';
import { openBackupsApi } from '../realtime/api/backups-routes.js';
import type { CliIo } from './io.js';
import { parseCliArgs } from './args.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../config/logger.js';
import { DubdServer } from '../realtime/server.js';
import { publicUrls } from '../realtime/urls.js';

const USAGE = 'dubd serve [--config file.json]';

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({ args, options: { config: { type: 'string' } } }, USAGE);
  const cfg = loadConfig({ file: values.config, env: io.env });
  const log = createLogger(cfg.logLevel);
  const live = { sessions: (): number => 0 };
  const server = await DubdServer.start(cfg, log, {
    apiModules: async (ctx) => [await projectsApiModule(ctx, { liveSessions: () => live.sessions() }), await openBackupsApi(ctx)],
  });
  live.sessions = () => server.sessions.size;
  // A stray rejection in one session's plumbing is a bug to log loudly, not a reason to drop every viewer.
  const onStray = (err: unknown): void => log.error({ err: userMessage(err), stack: (err as Error)?.stack }, 'unhandled rejection (bug): the server keeps serving');
  process.on('unhandledRejection', onStray);
  const ports = { rtmp: server.rtmpPort, http: server.httpPort };
  const admin = server.takeBootstrapAdmin();
  if (admin) {
    io.stdout.write(`dubd: first start: created user '${admin.email}' with one-time password: ${admin.password}\n`);
    io.stdout.write('  (shown only now; log in with it and choose a new password: POST /api/auth/password)\n');
  }
  const urls = (name: string): ReturnType<typeof publicUrls> => publicUrls(cfg.live, name, ports);
  io.stdout.write(`dubd: ready rtmp=${ports.rtmp} http=${ports.http}\n`);
  io.stdout.write(`  OBS server:  ${urls('x').rtmp}   (stream key: from \`dubd streams add <name> --to es,pt\`)\n`);
  const streams = server.registry.list();
  if (streams.length === 0) io.stdout.write('  no streams yet: run `npx dubd streams add show --to es,pt` in another terminal (no restart needed)\n');
  for (const s of streams) io.stdout.write(`  ${s.name} (${s.to.join(',')}): ${urls(s.name).hls}\n`);
  io.stdout.write(`  studio:  http://localhost:${ports.http}/   (log in as admin)\n`);
  io.stdout.write(`  metrics: http://localhost:${ports.http}/metrics\n`);
  io.stdout.write(`  API:     http://localhost:${ports.http}/api/openapi.json\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.stdout.write('dubd: shutting down\n');
  await server.close();
  process.off('unhandledRejection', onStray);
  return 0;
}
