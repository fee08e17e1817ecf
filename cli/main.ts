/**
 * `dubd <command>`: dispatches to one module per command. Errors become one readable line on stderr and a
 * non-zero exit code; stacks only with DUBD_DEBUG=1.
 */
import { processIo, type CliIo, type Command } from './io.js';
import { userMessage, errorCode } from '../pipeline/errors.js';

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'run the live server: RTMP in, dubbed HLS out (what `npm start` runs)', load: async () => (await import('./serve.js')).serveCommand },
  streams: { summary: 'dubd streams add <name> --to es,pt | list | rotate <name> | remove <name>', load: async () => (await import('./streams.js')).streamsCommand },
  worker: { summary: 'run Project mode stage workers against the shared PostgreSQL + Redis: dubd worker [--concurrency n]', load: async () => (await import('./worker.js')).workerCommand },
  dub: { summary: 'dub a media file: dubd dub <input> --to es[,pt] --out <file>', load: async () => (await import('./dub.js')).dubCommand },
  doctor: { summary: 'check every engine and model: found or missing, version, install hint', load: async () => (await import('./doctor.js')).doctorCommand },
  models: { summary: 'dubd models list|pull <id>|verify [id]', load: async () => (await import('./models.js')).modelsCommand },
  demo: { summary: 'make a short English sample video and dub it into es + pt', load: async () => (await import('./demo.js')).demoCommand },
  backup: { summary: 'dubd backup create|list|status|restore <id>|delete <id>|import <file>', load: async () => (await import('./backup.js')).backupCommand },
  bench: { summary: 'dubd bench latency|batch: run a benchmark and print its numbers', load: async () => (await import('../benchmarks/cli.js')).benchCommand },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: dubd <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`dubd: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    const run = await command.load();
    return await run(rest, io);
  } catch (err) {
    io.stderr.write(`dubd ${name}: ${userMessage(err)} [${errorCode(err)}]\n`);
    if (io.env.DUBD_DEBUG === '1' && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
