/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded from node_modules at run time, never bundled: better-sqlite3 (native), and tfjs, which the
  // server loads only to score with a reward model (bundled, the wasm backend cannot find its .wasm files).
  serverExternalPackages: ['better-sqlite3', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  poweredByHeader: false,
  // `npm test` type-checks the whole repository (tests included) in its static tier; `npm start`
  // must not refuse to serve because a test file has a type error, so the build skips that check.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
