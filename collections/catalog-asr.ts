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
    id: 'streaming-zipformer-en-20m',
    kind: 'asr',
    engine: 'sherpa-onnx',
    description:
      'Streaming zipformer transducer, English, 20M parameters (icefall LibriSpeech), fp32 + int8 encoder/decoder/joiner: native partial results (sherpa-online)',
    license: 'Apache-2.0',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
    files: [
      {
        path: 'sherpa-onnx-streaming-zipformer-en-20M-2023-02-17.tar.bz2',
        url: `${SHERPA_ASR}/sherpa-onnx-streaming-zipformer-en-20M-2023-02-17.tar.bz2`,
        sha256: '9c559283e8498d3fe95913c79ca1cb454bb26281ac2b102b41306c7d752765d9',
        sizeBytes: 127_887_156,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    id: 'moonshine-tiny-en-int8',
    kind: 'asr',
    engine: 'sherpa-onnx',
    description: 'Moonshine tiny, English, int8 (Useful Sensors), packaged for sherpa-onnx OfflineRecognizer (sherpa-moonshine)',
    license: 'MIT',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
    files: [
      {
        path: 'sherpa-onnx-moonshine-tiny-en-int8.tar.bz2',
        url: `${SHERPA_ASR}/sherpa-onnx-moonshine-tiny-en-int8.tar.bz2`,
        sha256: 'd5fe6ec4334fef36255b2a4010412cad4c007e33103fec62fb5d17cad88086f2',
        sizeBytes: 107_600_538,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    id: 'sense-voice-int8',
    kind: 'asr',
    engine: 'sherpa-onnx',
    description: 'SenseVoice small, int8: Chinese, Cantonese, English, Japanese, Korean with token timestamps (sherpa-sense-voice)',
    license: 'FunASR Model Open Source License 1.1 (MODEL_LICENSE in the archive)',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
    files: [
      {
        path: 'sherpa-onnx-sense-voice-zh-en-ja-ko-yue-int8-2024-07-17.tar.bz2',
        url: `${SHERPA_ASR}/sherpa-onnx-sense-voice-zh-en-ja-ko-yue-int8-2024-07-17.tar.bz2`,
        sha256: '7d1efa2138a65b0b488df37f8b89e3d91a60676e416f515b952358d83dfd347e',
        sizeBytes: 163_002_883,
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
