/** Bounds of the wallet_a adapter, each with its reason. */

/** Signed answers and callbacks older or newer than this are refused (replay window, as the wallet's own guide asks). */
export const WALLET_A_SIGNATURE_SKEW_MS_MAX = 5 * 60_000;
/** Callback bodies are a few hundred bytes; anything bigger is not from the wallet. */
export const WALLET_A_NOTIFICATION_BYTES_MAX = 16 * 1024;
