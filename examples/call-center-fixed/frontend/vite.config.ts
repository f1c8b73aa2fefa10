import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  build: {
    // Minified (the default); source maps go to the error tracker, not to visitors.
    sourcemap: "hidden",
  },
});
