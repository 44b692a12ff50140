import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "models/**",
      "onnx-graph/gen/**",
      "**/*.d.ts",
      ".wrangler/**",
      "dist/**",
      "**/.scratch/**",
      "**/*.tmp.ts",
      "test-artifacts/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The runtime is platform-neutral: it runs unchanged in workerd and Node. Platform capabilities are
    // injected by worker/ and by the Node tools, never imported here.
    files: ["runtime/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            "node:*",
            "fs",
            "path",
            "cloudflare:*",
            "onnxruntime-node",
            "../worker/*",
            "../../worker/*",
          ],
        },
      ],
    },
  },
);
