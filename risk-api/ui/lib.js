// Re-exports the vendored view library so views import one local path.
export {
  html,
  render,
  useState,
  useEffect,
  useRef,
  useCallback,
  useMemo,
} from './vendor/htm/preact-standalone.module.js';
