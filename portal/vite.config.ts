// vite.config.ts — builds the portal into dist/, which shale serve serves at /.
// `npm run dev` proxies /v1 to a shale serve on SHALE_API (default 127.0.0.1:8420).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { "/v1": process.env.SHALE_API ?? "http://127.0.0.1:8420" } },
});
