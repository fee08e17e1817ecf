/** Downloadable TTS voices (sherpa-onnx releases), pinned by sha256. */
const SHERPA_TTS = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/tts-models';

// Checksums of upstream release assets, each found pinned (with the same value) in several unrelated public projects.
export const ttsCatalog: unknown[] = [
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

