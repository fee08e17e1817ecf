import { installObjectUrls } from './object-urls.js';

// jsdom has no layout, hence no ResizeObserver (Svelte's bind:clientWidth uses it): an observer that never
// fires stands in, and components fall back to their default sizes as before the first measurement.
if (typeof globalThis.ResizeObserver === 'undefined') {
  globalThis.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}

installObjectUrls();
