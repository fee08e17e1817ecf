/** Downloadable ASR and VAD models (sherpa-onnx releases), pinned by sha256. */
const SHERPA_ASR = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models';

// Checksums of upstream release assets, each found pinned (with the same value) in several unrelated public projects.
export const asrCatalog: unknown[] = [
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
];
