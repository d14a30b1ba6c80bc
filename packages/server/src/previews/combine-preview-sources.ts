import type { PreviewSource } from './create-preview-gateway.js';

/**
 * One {@link PreviewSource} over several providers' previews: an id is answered by the
 * provider that knows it (each provider only resolves its own ids).
 */
export function combinePreviewSources(sources: () => ReadonlyArray<PreviewSource>): PreviewSource {
  return {
    resolveUpstream(id) {
      for (const source of sources()) {
        const upstream = source.resolveUpstream(id);
        if (upstream) return upstream;
      }
      return null;
    },
    async getStatus(input) {
      const all = sources();
      if (all.length === 0) return { status: 'pending' };
      let fallback: Awaited<ReturnType<NonNullable<PreviewSource['getStatus']>>> = { status: 'failed', error: { code: 'DEPLOYMENT_NOT_FOUND', message: 'no such preview' } };
      for (const source of all) {
        const state = await source.getStatus?.(input);
        if (!state) continue;
        if (!(state.status === 'failed' && state.error?.code === 'DEPLOYMENT_NOT_FOUND')) return state;
        fallback = state;
      }
      return fallback;
    },
  };
}
