/** Bounds of the wallet_b adapter, each with its reason. */

/** Notification bodies are under 2 KiB of form fields; anything bigger is not from the wallet. */
export const WALLET_B_NOTIFICATION_BYTES_MAX = 16 * 1024;
/** Form fields in one answer or notification; the gateway sends about twenty. */
export const WALLET_B_FORM_FIELDS_MAX = 64;
