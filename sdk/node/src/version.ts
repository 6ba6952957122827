// version.ts — the SDK version; it follows the Shale project version.
export const VERSION = "0.1.0";
