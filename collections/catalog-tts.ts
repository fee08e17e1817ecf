/** Downloadable TTS voices (sherpa-onnx releases), pinned by sha256. */
const SHERPA_TTS = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/tts-models';
const SHERPA_VOCODERS = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/vocoder-models';

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
  {
    // 53 voices in sid order af_alloy=0 … ef_dora=28, em_alex=29, pf_dora=42, pm_alex=43, pm_santa=44 (set
    // tts.sherpa.lang to 'es' or 'pt-br' and tts.sherpa.speakers to those sids for Spanish or Portuguese).
    id: 'kokoro-int8-multi-lang-v1-0',
    kind: 'tts',
    engine: 'sherpa-onnx',
    description: 'Kokoro-82M v1.0 (int8) for sherpa-onnx OfflineTts, 24,000 Hz, 53 voices (English, Spanish, Portuguese, French, Italian, Hindi, Japanese, Chinese)',
    license: 'Apache-2.0 (hexgrad/Kokoro-82M weights); espeak-ng-data GPL-3.0',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/tts-models',
    files: [
      {
        path: 'kokoro-int8-multi-lang-v1_0.tar.bz2',
        url: `${SHERPA_TTS}/kokoro-int8-multi-lang-v1_0.tar.bz2`,
        sha256: '4c3052abaa60943a341f193888cf6abd68787dae6ab8ae5c925a706caa247e4e',
        sizeBytes: 132_303_094,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    // Upstream re-uploaded this asset once; the earlier archive (349,418,188 bytes, sha256 c133d263…) is still
    // pinned by some projects. This is the one served now, pinned by the larger number of them.
    id: 'kokoro-multi-lang-v1-0',
    kind: 'tts',
    engine: 'sherpa-onnx',
    description: 'Kokoro-82M v1.0 (fp32) for sherpa-onnx OfflineTts, 24,000 Hz, the same 53 voices as the int8 build',
    license: 'Apache-2.0 (hexgrad/Kokoro-82M weights); espeak-ng-data GPL-3.0',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/tts-models',
    files: [
      {
        path: 'kokoro-multi-lang-v1_0.tar.bz2',
        url: `${SHERPA_TTS}/kokoro-multi-lang-v1_0.tar.bz2`,
        sha256: 'c5f7e2d2caf082bc1d20fb70334a61d99d20b484500aad32e7cf84c128ea3298',
        sizeBytes: 349_906_910,
        unpack: 'tar.bz2',
      },
    ],
  },
  {
    id: 'matcha-en-us-ljspeech',
    kind: 'tts',
    engine: 'sherpa-onnx',
    description: 'Matcha-TTS (icefall) en_US LJSpeech with the Vocos 22 kHz vocoder, for sherpa-onnx OfflineTts, 22,050 Hz, female, American English',
    license: 'Apache-2.0 (model), MIT (Vocos vocoder), public domain (LJSpeech data)',
    sourceUrl: 'https://github.com/k2-fsa/sherpa-onnx/releases/tag/tts-models',
    files: [
      {
        path: 'matcha-icefall-en_US-ljspeech.tar.bz2',
        url: `${SHERPA_TTS}/matcha-icefall-en_US-ljspeech.tar.bz2`,
        sha256: 'ea75702da7456a8b1874728278a835220dc8a26f4e8bd93c83bf53dc27679845',
        sizeBytes: 76_741_121,
        unpack: 'tar.bz2',
      },
      {
        path: 'vocos-22khz-univ.onnx',
        url: `${SHERPA_VOCODERS}/vocos-22khz-univ.onnx`,
        sha256: '0574a135aa1db2de6e181050db2ec528496cacd4a4701fc5d7faf9f9804c0081',
        sizeBytes: 53_884_024,
      },
    ],
  },
];
