/**
 * Keys whose value is a credential (`ssl.keyStore.password`, `...superDigest`). ConfigMaps are
 * readable by far more people than Secrets, so such values are refused wherever a setting would
 * copy them into one; ZooKeeper reads its keystore passwords from files (`*.passwordPath`).
 */
export const CREDENTIAL_KEY = /(password|passwd|secret|superDigest)$/i;
export const CREDENTIAL_ADVICE = 'anyone who can read ConfigMaps could read it; use the matching *.passwordPath with a file mounted from a Secret';
