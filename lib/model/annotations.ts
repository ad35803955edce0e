/** The Argo CD annotation that orders a sync: lower waves are applied, and healthy, first. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
